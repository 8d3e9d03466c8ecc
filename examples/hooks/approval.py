"""Approval hook: wait until someone approves or rejects, by file.

The hook answers IN_PROGRESS, asking to be called again after callBackDelay
seconds, until the file APPROVAL_DIR/<deployment id> exists (APPROVAL_DIR
defaults to /tmp/cutover-approvals). The file's content decides: "reject"
fails the hook (the deployment rolls back), anything else approves it.

    touch /tmp/cutover-approvals/<deployment id>            # approve
    echo reject > /tmp/cutover-approvals/<deployment id>    # reject

hookDetails carry the number of checks made from one call to the next; the
hook's timeoutConfiguration bounds the wait.
"""

import os

import hookio


def handler(event, context):
    details = event.get("hookDetails") or {}
    checks = details.get("checks", 0) + 1
    deployment_id = event["resourceArn"].rsplit("/", 1)[-1]
    path = os.path.join(os.environ.get("APPROVAL_DIR", "/tmp/cutover-approvals"), deployment_id)
    try:
        with open(path) as f:
            verdict = f.read().strip()
    except FileNotFoundError:
        hookio.log(f"waiting for {path} (check {checks})")
        delay = int(details.get("callBackDelay", 5))
        return {"hookStatus": "IN_PROGRESS", "callBackDelay": delay,
                "hookDetails": {**details, "checks": checks}}
    if verdict == "reject":
        return {"hookStatus": "FAILED", "hookDetails": {"checks": checks, "verdict": verdict}}
    return {"hookStatus": "SUCCEEDED", "hookDetails": {"checks": checks}}


if __name__ == "__main__":
    hookio.main(handler)
