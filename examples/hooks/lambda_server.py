"""Serve Lambda handlers through the Lambda Invoke API, locally.

cutover invokes Lambda hooks at `cutover server --lambda-endpoint URL` with
the Lambda Invoke API, the API that `sam local start-lambda` and the Lambda
runtime interface emulator serve. Without either at hand, this serves
ordinary Python handlers the same way:

    python3 examples/hooks/lambda_server.py --listen 127.0.0.1:9001 \
        admission=examples/hooks/admission.py approval=examples/hooks/approval.py:handler

A hook with hookTargetArn arn:aws:lambda:REGION:ACCOUNT:function:admission
then runs admission.py's handler(event, context). An exception is answered
as a function error (X-Amz-Function-Error: Unhandled), like Lambda does.
"""

import argparse
import importlib.util
import json
import os
import re
import sys
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


class Context:
    def __init__(self, name):
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())


def load(spec):
    name, _, where = spec.partition("=")
    path, _, func = where.partition(":")
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    mod_spec = importlib.util.spec_from_file_location(f"hook_{name}", path)
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return name, getattr(module, func or "handler")


def serve(listen, handlers):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            m = PATH.match(self.path.split("?")[0])
            # An ARN or name:qualifier names the function too.
            name = m and unquote(m.group(1)).split(":function:")[-1].split(":")[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not m or name not in handlers:
                return self.answer(404, {"Type": "User", "message": f"Function not found: {name}"},
                                   {"x-amzn-ErrorType": "ResourceNotFoundException"})
            try:
                reply = handlers[name](json.loads(body or b"null"), Context(name))
            except Exception as e:  # the function failed: a function error
                return self.answer(200, {"errorMessage": str(e), "errorType": type(e).__name__,
                                         "stackTrace": traceback.format_exc().splitlines()},
                                   {"X-Amz-Function-Error": "Unhandled"})
            self.answer(200, reply)

        def answer(self, status, doc, headers=None):
            out = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, fmt, *args):
            sys.stderr.write("lambda_server: " + fmt % args + "\n")

    host, _, port = listen.rpartition(":")
    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    print(f"serving {', '.join(sorted(handlers))} at http://{host}:{server.server_port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="127.0.0.1:9001")
    ap.add_argument("functions", nargs="+", help="NAME=FILE.py[:HANDLER]")
    args = ap.parse_args()
    serve(args.listen, dict(load(s) for s in args.functions))
