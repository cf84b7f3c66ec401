"""A published test hub served by a real olah (one per test process), and a fault proxy."""

from __future__ import annotations

import atexit
import http.client
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kzoo import publishing
from kzoo.hub import bundles, repo_folder
from kzoo.hub.olah_server import OlahServer
from tests.hub.tiny_zoo import TINY_KEY, build_tiny_net, empty_manifest, tiny_entry

QUIRK_REPO = "kzoo-test/olah_quirk"


@dataclass
class HubWorld:
    root: Path
    manifest: str
    hub_dir: Path
    server: OlahServer
    key: str = TINY_KEY
    shas: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url


def _build_quirk_repo(root: Path, hub_dir: Path, model) -> None:
    """A repository olah cannot fully serve: non-UTF-8 blobs of 120, 130 and 150 bytes."""
    folder = root / "quirk_folder"
    repo_folder.write_repo_folder(model, folder, lambda files: "# olah_quirk.v1\n")
    (folder / "odd130.bin").write_bytes(b"\xff" * 130)
    (folder / "edge120.bin").write_bytes(b"\xff" * 120)
    (folder / "edge150.bin").write_bytes(b"\xff" * 150)
    (folder / "text130.txt").write_bytes(b"x" * 130)
    bare = root / "quirk.git"
    bundles.commit_folder(bare, folder, "quirk files")
    bundles.write_bundle(bare, bundles.bundle_path(hub_dir, QUIRK_REPO))


_WORLD: HubWorld | None = None


def shared_world() -> HubWorld:
    """Publishes the tiny model twice (tags v1, v2) and the quirk repo, then starts olah once."""
    global _WORLD
    if _WORLD is not None:
        return _WORLD
    root = Path(tempfile.mkdtemp(prefix="kzoo-test-hub-"))
    manifest = empty_manifest(root / "weights_manifest.json")
    hub_dir = root / "hub"
    m1, m2 = build_tiny_net(seed=0), build_tiny_net(seed=1)
    sha1 = publishing.publish(
        m1, TINY_KEY, tiny_entry(), manifest=manifest, hub_dir=hub_dir, tag="v1"
    ).revision
    sha2 = publishing.publish(
        m2, TINY_KEY, tiny_entry(), manifest=manifest, hub_dir=hub_dir, tag="v2"
    ).revision
    _build_quirk_repo(root, hub_dir, m1)
    server = OlahServer(hub_dir, workdir=root / "olah").start()
    atexit.register(server.stop)
    atexit.register(shutil.rmtree, root, True)
    _WORLD = HubWorld(
        root, manifest, hub_dir, server, shas={"v1": sha1, "v2": sha2}, models={"v1": m1, "v2": m2}
    )
    return _WORLD


@pytest.fixture(scope="session")
def hub_world() -> HubWorld:
    return shared_world()


@pytest.fixture
def hub_env(hub_world, monkeypatch, tmp_path) -> HubWorld:
    """A fresh HF cache per test, HF_ENDPOINT → the olah server, the test manifest as default."""
    for var in ("HF_HUB_OFFLINE", "HF_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", hub_world.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("KZOO_HOME", str(tmp_path / "kzoo_home"))
    monkeypatch.setenv("KZOO_MANIFEST", hub_world.manifest)
    return hub_world


class FaultProxy(ThreadingHTTPServer):
    """Forwards to olah; GETs of `target` misbehave according to `mode`.

    Modes: None (pass through), "truncate" (a short body with a matching Content-Length),
    "drop" (headers for the full body, half of it, then the connection closes; later GETs get 500),
    "corrupt" (one byte flipped, same size), "500" (every GET of the file answers 500).
    """

    daemon_threads = True

    def __init__(
        self, upstream: str, target: str = "model.weights.h5", mode: str | None = None
    ) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.target, self.mode, self.dropped = target, mode, False
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.server.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read() if self.command != "HEAD" else b""
        conn.close()
        return resp.status, resp.getheaders(), body

    def _send(self, status: int, headers: list, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        status, headers, _ = self._forward()
        length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
        self._send(status, headers, b"", int(length))

    def do_GET(self) -> None:
        srv: FaultProxy = self.server
        if srv.mode is None or not self.path.endswith("/" + srv.target):
            status, headers, body = self._forward()
            return self._send(status, headers, body)
        if srv.mode == "500" or (srv.mode == "drop" and srv.dropped):
            self.close_connection = True
            return self._send(500, [("Content-Type", "text/plain")], b"Internal Server Error")
        status, headers, body = self._forward()
        if srv.mode == "truncate":
            return self._send(status, headers, body[: len(body) // 2])
        if srv.mode == "corrupt":
            return self._send(status, headers, body[:-1] + bytes([body[-1] ^ 0xFF]))
        if srv.mode == "drop":
            srv.dropped = True
            self.close_connection = True
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                if k.lower() in ("etag", "x-repo-commit", "content-type"):
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return None
        raise AssertionError(srv.mode)
