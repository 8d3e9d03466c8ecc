"""Admission hook: refuse a deployment whose images come from elsewhere.

Run it at PRE_SCALE_UP, before any new task starts. It calls back into the
ECS API (cutover's, or Amazon's when it runs as a real Lambda function) to
find the images of the revision being deployed:

  ListServiceDeployments (by service ARN, no cluster)  -> the deployment
  DescribeServiceRevisions(targetServiceRevisionArn)   -> its task definition
  DescribeTaskDefinition                               -> container images

Allowed registries are prefixes, from hookDetails {"allowedRegistries": [...]}
or the ALLOWED_REGISTRIES environment variable (comma-separated).
Point boto3 at cutover with AWS_ENDPOINT_URL_ECS=http://127.0.0.1:7400.
"""

import os

import boto3

import hookio


def handler(event, context):
    details = event.get("hookDetails") or {}
    allowed = details.get("allowedRegistries") or [
        p for p in os.environ.get("ALLOWED_REGISTRIES", "").split(",") if p
    ]
    ecs = boto3.client("ecs")
    ex = event["executionDetails"]

    deployments = ecs.list_service_deployments(service=ex["serviceArn"])["serviceDeployments"]
    if not any(d["serviceDeploymentArn"] == event["resourceArn"] for d in deployments):
        hookio.log("deployment", event["resourceArn"], "not listed for", ex["serviceArn"])
        return {"hookStatus": "FAILED"}

    rev = ecs.describe_service_revisions(serviceRevisionArns=[ex["targetServiceRevisionArn"]])["serviceRevisions"][0]
    td = ecs.describe_task_definition(taskDefinition=rev["taskDefinition"])["taskDefinition"]
    refused = [
        c["image"]
        for c in td["containerDefinitions"]
        if not any(c.get("image", "").startswith(p) for p in allowed)
    ]
    if refused:
        hookio.log("refused images:", ", ".join(refused), "allowed:", ", ".join(allowed) or "none")
        return {"hookStatus": "FAILED", "hookDetails": {"refusedImages": refused}}
    return {"hookStatus": "SUCCEEDED"}


if __name__ == "__main__":
    hookio.main(handler)
