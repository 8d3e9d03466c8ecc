"""Run a Lambda-style hook handler as a cutover command hook.

A command hook gets the ECS lifecycle hook event on stdin and writes its
reply on stdout. Each example below is an ordinary Lambda handler
(`handler(event, context)`) that also runs this way:

    if __name__ == "__main__":
        hookio.main(handler)
"""

import json
import sys


def main(handler):
    event = json.load(sys.stdin)
    reply = handler(event, None)
    json.dump(reply, sys.stdout)
    sys.stdout.write("\n")


def log(*args):
    """Logs go to stderr: stdout carries the reply."""
    print(*args, file=sys.stderr, flush=True)
