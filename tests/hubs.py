"""Real servers on loopback for the sync tests: the reference hub, and a
misbehaving one that answers whatever a test scripts."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from floorview.hub.hubstore import HubStore, open_hub_engine


@dataclass
class RunningHub:
    store: HubStore
    url: str
    token: str
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # don't wait out open long polls
        self.thread.join(10)


def start_hub(db: Path | str, port: int = 0, store: HubStore | None = None, **config) -> RunningHub:
    """The hub as `floorview hub` serves it (hub/run.py's uvicorn configuration),
    on an SQLite file or a database URL; `config` overrides some of it (`header_timeout`, say)."""
    import uvicorn

    from floorview.hub.run import hub_config
    from floorview.hub.server import create_app

    store = store or HubStore(open_hub_engine(db if isinstance(db, str) else f"sqlite:///{db}"))
    token = store.create_token("Lead One")
    server = uvicorn.Server(hub_config(create_app(store), "127.0.0.1", port, log_level="critical", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("hub did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningHub(store, f"http://127.0.0.1:{bound}", token, server, thread)


class Scripted(ThreadingHTTPServer):
    """Answers every request with `self.answer(handler)`; records what it was asked."""

    daemon_threads = True
    block_on_close = False  # a handler still dripping must not hold the test up

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, str, dict]] = []
        self.answer = lambda h: h.send_error(500)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _any(self) -> None:
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        try:
            self.server.answer(self)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_PUT = do_DELETE = _any

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
