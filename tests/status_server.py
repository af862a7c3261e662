"""A plain HTTP server on a free loopback port that answers every GET with the status it is
set to (and a small JSON body), counting the requests: a stand-in for a CDN origin or a search
node whose health the code under test judges."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StatusServer:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = b'{"ok": true}'
                self.send_response(owner.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
