"""`kzoo hub serve` stopped by a plain `kill` (SIGTERM) or Ctrl-C (SIGINT) leaves nothing behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for child PIDs")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_olah_and_removes_its_folder(hub_world, signum):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    argv = ["hub", "serve", "--hub-dir", str(hub_world.hub_dir)]
    cli = subprocess.Popen(
        [sys.executable, "-m", "kzoo.cli.main", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines, folder = [], None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = cli.stdout.readline()
            assert line, f"kzoo hub serve exited early:\n{''.join(lines)}"
            lines.append(line)
            if line.startswith("mirror folder "):
                folder = Path(line.split()[2])
            if line.startswith("export HF_ENDPOINT="):
                break
        olah = _children(cli.pid)
        assert olah and all(_alive(p) for p in olah) and folder is not None and folder.is_dir()
        os.kill(cli.pid, signum)
        rest, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, "".join(lines) + rest
    time.sleep(0.5)
    assert not [p for p in olah if _alive(p)], f"olah still running: {olah}"
    assert not folder.exists(), f"{folder} left behind"
