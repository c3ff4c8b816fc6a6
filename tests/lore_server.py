"""A loopback HTTP server that answers like public-inbox-httpd for thread mboxes
(``/<inbox>/<message-id>/t.mbox.gz``), with a few misbehaving ids for failure tests."""

from __future__ import annotations

import gzip
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class LoreFixture:
    threads: dict[str, bytes]
    """Message-ID -> thread mbox (uncompressed) served for it."""
    hits: Counter[str] = field(default_factory=Counter)
    flaky_left: int = 1
    base: str = ""


def _handler(fixture: LoreFixture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = [urllib.parse.unquote(p) for p in self.path.split("/") if p]
            if len(parts) != 3 or parts[2] != "t.mbox.gz":
                return self._send(404, b"not found")
            message_id = parts[1]
            fixture.hits[message_id] += 1
            if message_id == "flaky@example.org" and fixture.flaky_left > 0:
                fixture.flaky_left -= 1
                return self._send(503, b"busy")
            if message_id == "slow@example.org":
                time.sleep(3)
            if message_id == "bomb@example.org":
                return self._send(200, gzip.compress(b"\0" * (40 * 1024 * 1024), compresslevel=9))
            if message_id == "huge@example.org":
                return self._send(200, b"x" * (2 * 1024 * 1024))
            thread = fixture.threads.get(message_id)
            if thread is None:
                return self._send(404, b"not found")
            return self._send(200, gzip.compress(thread))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/gzip" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@contextmanager
def serve(fixture: LoreFixture) -> Iterator[LoreFixture]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fixture))
    server.daemon_threads = True
    fixture.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fixture
    finally:
        server.shutdown()
        server.server_close()
