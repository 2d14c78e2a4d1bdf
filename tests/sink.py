"""A local HTTP server that accepts deliveries and counts them (a stand-in remote inbox).

It is a real HTTP server on 127.0.0.1 in a thread of the test process; each POST is
recorded by path, and it can answer slowly or with a chosen status.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 refuses bursts of deliveries


class Sink:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        status: int = 202,
        respond: Callable[[str, Message], int] | None = None,
    ) -> None:
        self.delay = delay
        self.status = status
        self.respond = respond  # chooses the status from (path, headers), if given
        self.posts: Counter[str] = Counter()
        self.bodies: list[bytes] = []
        self.headers: list[Message] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if sink.delay:
                    time.sleep(sink.delay)
                with sink._lock:
                    sink.posts[self.path] += 1
                    sink.bodies.append(body)
                    sink.headers.append(self.headers)
                status = sink.respond(self.path, self.headers) if sink.respond else sink.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def total(self) -> int:
        with self._lock:
            return sum(self.posts.values())

    def __enter__(self) -> Sink:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
