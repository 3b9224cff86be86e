"""The suite's callback receiver: a stdlib HTTP server on 127.0.0.1 that records what is POSTed to it.

Under :data:`REFUSE` it answers HTTP 500 on purpose; under :data:`HANG` it holds its answer for
``hold`` seconds (longer than the server's receiver timeout, so each delivery times out). Either
way the server must deliver again as documented.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["HANG", "REFUSE", "SuiteReceiver"]

#: Callbacks POSTed under this path are refused on purpose (HTTP 500): the sender must retry as documented.
REFUSE = "/refuse/"
#: Callbacks POSTed under this path get no answer for ``hold`` seconds: the sender must time out and retry.
HANG = "/hang/"


class SuiteReceiver:
    """A local HTTP server on 127.0.0.1 that records the callbacks POSTed to it (refusing those under REFUSE,
    holding those under HANG).

    Not the mock's :class:`mockserver.CallbackReceiver` (one status and delay for every delivery):
    this one's answer depends on the path, which is how the suite asks for retries.
    """

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.received: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    payload: Any = json.loads(raw)
                except ValueError:
                    payload = raw.decode("utf-8", "replace")
                with receiver._lock:
                    receiver.received.append((self.path, payload))
                if self.path.startswith(HANG):
                    time.sleep(receiver.hold)  # the sender has given up on this attempt by now
                refuse = self.path.startswith(REFUSE)
                answer = b'{"code":500,"msg":"refused on purpose"}' if refuse else b'{"code":200,"msg":"success"}'
                with contextlib.suppress(OSError):  # a sender that timed out has closed the connection
                    self.send_response(500 if refuse else 200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def for_path(self, path: str) -> list[Any]:
        """Payloads received on ``path``, in arrival order."""
        with self._lock:
            return [payload for p, payload in self.received if p == path]
