"""A local Hub-protocol mirror: olah, offline, serving the project's published repositories."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from kzoo.hub.bundles import default_hub_dir, unpack_hub
from kzoo.hub.errors import HubError


def _die_with_parent() -> None:
    """In the olah child on Linux: SIGTERM when the process that started it dies (even killed)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class OlahServer:
    """Starts `olah` (offline; `mirrors-path` → the unpacked bundles of `hub_dir`) on a free port.

    Args:
        hub_dir: the folder of repository bundles (default: the project's `hub/`).
        host: the address to bind.
        port: the port (default: a free one).
        workdir: where the mirrors, olah's config, cache and logs go (default: a temporary folder,
            removed on `stop`).

    Example:
        >>> with OlahServer() as server:
        ...     os.environ["HF_ENDPOINT"] = server.url
    """

    def __init__(
        self,
        hub_dir: str | os.PathLike | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        workdir: str | os.PathLike | None = None,
    ) -> None:
        self.hub_dir = Path(hub_dir) if hub_dir is not None else default_hub_dir()
        self.host = host
        self.port = port or free_port(host)
        self._own_workdir = workdir is None
        self.workdir = (
            Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="kzoo-olah-"))
        )
        self.process: subprocess.Popen | None = None
        self.repo_ids: list[str] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def mirrors(self) -> Path:
        return self.workdir / "mirrors"

    def _write_config(self) -> Path:
        config = self.workdir / "olah.toml"
        config.write_text(
            "[basic]\n"
            f'host = "{self.host}"\nport = {self.port}\n'
            f'repos-path = "{(self.workdir / "repos").as_posix()}"\n'
            f'mirrors-path = ["{self.mirrors.as_posix()}"]\n'
            f'mirror-netloc = "{self.host}:{self.port}"\n'
            f'mirror-lfs-netloc = "{self.host}:{self.port}"\n'
            "[accessibility]\noffline = true\n",
            encoding="utf-8",
        )
        return config

    def start(self, timeout: float = 60.0) -> OlahServer:
        try:
            import olah.server  # noqa: F401
        except ImportError as err:
            raise HubError(
                "olah is not installed: pip install 'kzoo[hub]' (or pip install olah)."
            ) from err
        self.mirrors.mkdir(parents=True, exist_ok=True)
        self.repo_ids = unpack_hub(self.hub_dir, self.mirrors)
        config = self._write_config()
        log = open(self.workdir / "olah.out", "wb")  # noqa: SIM115 - lives as long as the process
        cmd = [
            sys.executable,
            "-m",
            "olah.server",
            "-c",
            str(config),
            "--log-path",
            str(self.workdir / "logs"),
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"olah exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(f"{self.url}/api/models/kzoo/ping/revision/main", timeout=1)
                return self
            except urllib.error.HTTPError:
                return self  # it answers (401 for an unknown repo): it is up
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise HubError(f"olah did not answer on {self.url} within {timeout:.0f} s")

    def log_tail(self, chars: int = 4000) -> str:
        path = self.workdir / "olah.out"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> OlahServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def local_hub(hub_dir: str | os.PathLike | None = None) -> Iterator[OlahServer]:
    """Serves `hub_dir` (default: the project's `hub/`) with olah and sets `HF_ENDPOINT` meanwhile.

    Example:
        >>> with local_hub():
        ...     model = kzoo.load("sphereface_resnet20")
    """
    server = OlahServer(hub_dir).start()
    previous = os.environ.get("HF_ENDPOINT")
    os.environ["HF_ENDPOINT"] = server.url
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("HF_ENDPOINT", None)
        else:
            os.environ["HF_ENDPOINT"] = previous
        server.stop()
