#!/usr/bin/env python3
"""A tiny web app for cutover's examples: answers every request with its
version, on the port cutover gives it in $PORT. /health answers 200."""
import http.server
import os
import signal
import sys

VERSION = os.environ.get("VERSION", "v1")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffer each response and send it in one write: unbuffered, the
    # headers and the body go out as two segments, and on a keep-alive
    # connection Nagle's algorithm holds the body until the client's
    # delayed ACK of the headers, 40 ms later, for every request.
    wbufsize = 64 << 10

    def do_GET(self):
        body = ("ok\n" if self.path == "/health" else f"hello from {VERSION}\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (VERSION, fmt % args))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"{VERSION} listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
