"""Smoke-test hook: check the new version on the test listener.

Run it at POST_TEST_TRAFFIC_SHIFT, when the test listener already sends its
traffic to the new revision and production still goes to the old one.
hookDetails: {"url": "http://127.0.0.1:8081/", "expect": "v2", "attempts": 3}
The hook GETs the URL and succeeds when the answer is 200 and contains the
expected text. A failed check is retried (IN_PROGRESS, 2 s later) until
the attempts are used up, then the hook fails and the deployment rolls back.
"""

import urllib.request

import hookio


def handler(event, context):
    details = event.get("hookDetails") or {}
    url, expect = details["url"], details.get("expect", "")
    tried = details.get("tried", 0) + 1
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = resp.read().decode(errors="replace")
            ok = resp.status == 200 and expect in body
            why = f"{resp.status} {body.strip()[:80]!r}"
    except OSError as e:
        ok, why = False, str(e)
    hookio.log(f"GET {url} -> {why}: {'ok' if ok else 'not ok'} (attempt {tried})")
    if ok:
        return {"hookStatus": "SUCCEEDED"}
    if tried < details.get("attempts", 3):
        return {"hookStatus": "IN_PROGRESS", "callBackDelay": 2, "hookDetails": {**details, "tried": tried}}
    return {"hookStatus": "FAILED", "hookDetails": {**details, "tried": tried, "last": why}}


if __name__ == "__main__":
    hookio.main(handler)
