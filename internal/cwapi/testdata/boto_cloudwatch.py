"""Drives cutover's CloudWatch API with boto3 in one of its protocols.

usage: boto_cloudwatch.py ENDPOINT_URL PROTOCOL NOW_EPOCH

PROTOCOL is json, smithy-rpc-v2-cbor or query: botocore speaks the first
of its own ranking that the model lists (json), so the script narrows the
ranking to force the others. It prints one JSON document of what it saw,
which the Go test (boto_test.go) checks and compares across protocols.
"""
import datetime
import json
import sys

import botocore.model

endpoint, protocol, now = sys.argv[1], sys.argv[2], float(sys.argv[3])
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (protocol,)

import boto3  # noqa: E402 (after the ranking is narrowed)
from botocore.exceptions import ClientError  # noqa: E402

cw = boto3.client(
    "cloudwatch", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id="x", aws_secret_access_key="x",
)
assert cw.meta.service_model.resolved_protocol == protocol, cw.meta.service_model.resolved_protocol

NOW = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
NS = "AWS/ApplicationELB"
LB = {"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}
TG = {"Name": "TargetGroup", "Value": "targetgroup/blue/0123456789abcdef"}
out = {}


def code(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def iso(t):
    return t.astimezone(datetime.timezone.utc).isoformat()


for name in ("b-5xx", "b-rt"):
    cw.put_metric_alarm(
        AlarmName=name, Namespace=NS, MetricName="HTTPCode_Target_5XX_Count", Dimensions=[LB, TG],
        Statistic="Sum", Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1.5,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching",
        Tags=[{"Key": "team", "Value": "web"}],
    )
a = cw.describe_alarms(AlarmNames=["b-5xx"])["MetricAlarms"][0]
out["alarm"] = {
    "name": a["AlarmName"], "state": a["StateValue"], "threshold": a["Threshold"],
    "dimensions": a["Dimensions"], "updated": iso(a["StateUpdatedTimestamp"]), "arn": a["AlarmArn"],
}
page1 = cw.describe_alarms(MaxRecords=1)
page2 = cw.describe_alarms(MaxRecords=1, NextToken=page1["NextToken"])
out["pages"] = [[m["AlarmName"] for m in p["MetricAlarms"]] for p in (page1, page2)] + ["NextToken" in page2]

cw.set_alarm_state(AlarmName="b-5xx", StateValue="ALARM", StateReason="drill", StateReasonData='{"a": 1}')
a = cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]
out["alarming"] = [(m["AlarmName"], m["StateReason"], json.loads(m["StateReasonData"])) for m in a]

h = cw.describe_alarm_history(
    AlarmName="b-5xx", HistoryItemType="StateUpdate",
    StartDate=NOW - datetime.timedelta(minutes=1), EndDate=NOW + datetime.timedelta(minutes=1),
)["AlarmHistoryItems"]
out["history"] = [(i["HistorySummary"], iso(i["Timestamp"]), json.loads(i["HistoryData"])["newState"]["stateValue"]) for i in h]
h = cw.describe_alarm_history(MaxRecords=2, ScanBy="TimestampAscending")
out["history_all"] = [i["HistorySummary"] for i in h["AlarmHistoryItems"]] + ["NextToken" in h]

s = cw.get_metric_statistics(
    Namespace=NS, MetricName="RequestCount", Dimensions=[LB], StartTime=NOW - datetime.timedelta(minutes=3),
    EndTime=NOW, Period=60, Statistics=["Sum", "Average", "Maximum"],
)
out["statistics"] = [
    (iso(d["Timestamp"]), d["Sum"], d["Average"], d["Maximum"], d["Unit"], "Minimum" in d) for d in s["Datapoints"]
]
d = cw.get_metric_data(
    StartTime=NOW - datetime.timedelta(minutes=10), EndTime=NOW, ScanBy="TimestampAscending",
    MetricDataQueries=[
        {"Id": "rt", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "TargetResponseTime", "Dimensions": [LB, TG]},
                                    "Period": 300, "Stat": "Average"}, "Label": "latency"},
        {"Id": "errors", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "HTTPCode_Target_5XX_Count",
                                                   "Dimensions": [LB, TG]}, "Period": 300, "Stat": "Sum"}},
    ],
)
out["data"] = [(r["Id"], r["Label"], [iso(t) for t in r["Timestamps"]], r["Values"], r["StatusCode"]) for r in d["MetricDataResults"]]
m = cw.list_metrics(Namespace=NS, Dimensions=[{"Name": "TargetGroup"}])["Metrics"]
out["metrics"] = sorted(x["MetricName"] for x in m)

out["errors"] = {
    "unknown alarm": code(cw.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x"),
    "delete unknown": code(cw.delete_alarms, AlarmNames=["b-rt", "nope"]),
    "percentile alarm": code(cw.put_metric_alarm, AlarmName="p", Namespace=NS, MetricName="TargetResponseTime",
                             ExtendedStatistic="p99", Period=60, EvaluationPeriods=1, Threshold=1,
                             ComparisonOperator="GreaterThanThreshold"),
    "no statistics": code(cw.get_metric_statistics, Namespace=NS, MetricName="RequestCount", StartTime=NOW,
                          EndTime=NOW + datetime.timedelta(minutes=1), Period=60),
    "reversed range": code(cw.get_metric_statistics, Namespace=NS, MetricName="RequestCount", StartTime=NOW,
                           EndTime=NOW - datetime.timedelta(minutes=1), Period=60, Statistics=["Sum"]),
    "bad token": code(cw.describe_alarms, NextToken="garbage"),
    "metric math": code(cw.get_metric_data, StartTime=NOW - datetime.timedelta(minutes=5), EndTime=NOW,
                        MetricDataQueries=[{"Id": "e", "Expression": "SUM(METRICS())", "Period": 60}]),
    "unsupported": code(cw.list_dashboards),
}
cw.delete_alarms(AlarmNames=["b-5xx", "b-rt"])
out["left"] = len(cw.describe_alarms()["MetricAlarms"])
print(json.dumps(out, sort_keys=True))
