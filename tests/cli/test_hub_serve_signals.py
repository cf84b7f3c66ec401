"""`kzoo hub serve` stopped by a plain `kill` (SIGTERM) or Ctrl-C (SIGINT) leaves nothing behind."""

import os
import shutil
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


def _serve(hub_world):
    """Starts `kzoo hub serve`; (the process, its olah children, the mirror folder)."""
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
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = cli.stdout.readline()
        if not line:
            cli.kill()
            raise AssertionError(f"kzoo hub serve exited early:\n{''.join(lines)}")
        lines.append(line)
        if line.startswith("mirror folder "):
            folder = Path(line.split()[2])
        if line.startswith("export HF_ENDPOINT="):
            break
    olah = _children(cli.pid)
    assert olah and all(_alive(p) for p in olah) and folder is not None and folder.is_dir()
    return cli, olah, folder, lines


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_olah_and_removes_its_folder(hub_world, signum):
    cli, olah, folder, lines = _serve(hub_world)
    try:
        os.kill(cli.pid, signum)
        rest, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, "".join(lines) + rest
    time.sleep(0.5)
    assert not [p for p in olah if _alive(p)], f"olah still running: {olah}"
    assert not folder.exists(), f"{folder} left behind"


def test_olah_dies_with_a_killed_cli(hub_world):
    """SIGKILL cannot be caught: olah still stops (Linux parent-death signal)."""
    cli, olah, folder, _ = _serve(hub_world)
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in olah):
        time.sleep(0.2)
    assert not [p for p in olah if _alive(p)], f"olah still running: {olah}"
    shutil.rmtree(folder, ignore_errors=True)  # the one thing SIGKILL leaves behind
