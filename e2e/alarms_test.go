package e2e

// Deployment alarms: a CloudWatch alarm on the load balancer's own
// metrics, made with the aws CLI, rolls a deployment back.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// serverErrorApp answers 500 "error from $VERSION" to everything but
// /health, which answers 200: it passes every health check and fails
// every request.
const serverErrorApp = `
import http.server, os
VERSION = os.environ["VERSION"]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        code = 200 if self.path == "/health" else 500
        body = ("ok\n" if code == 200 else "error from %s\n" % VERSION).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print(VERSION, "listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`

// taskDefEntryPoint is taskDef with the container's entry point
// replaced.
func taskDefEntryPoint(t *testing.T, version string, entryPoint ...string) string {
	t.Helper()
	return editTaskDef(t, taskDef(t, version, ""), func(c map[string]any) { c["entryPoint"] = entryPoint })
}

// TestAlarmRollsBackBlueGreen deploys, BLUE_GREEN with a bake time, a
// version that passes its health checks but answers 500, watched by a
// CloudWatch alarm on the green target group's HTTPCode_Target_5XX_Count
// made with aws cloudwatch put-metric-alarm. Once production is on green
// the errors put the alarm in ALARM during the bake time, the deployment
// rolls back, reports the alarm as triggered, and production answers v1
// again.
func TestAlarmRollsBackBlueGreen(t *testing.T) {
	s := startServer(t)
	prod, test, lbs, v1Rev := blueGreenService(t, s)

	lbArn := path(s.mustAWS("elbv2", "describe-load-balancers", "--names", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	var lbsv []map[string]any
	if err := json.Unmarshal([]byte(lbs), &lbsv); err != nil {
		t.Fatal(err)
	}
	green := path(lbsv[0], "advancedConfiguration", "alternateTargetGroupArn").(string)
	resource := func(arn string) string { return arn[strings.Index(arn, ":loadbalancer/")+len(":loadbalancer/"):] }
	lbDim := resource(lbArn)                              // app/web/ID
	tgDim := green[strings.Index(green, "targetgroup/"):] // targetgroup/green/ID
	if !strings.HasPrefix(lbDim, "app/web/") || !strings.HasPrefix(tgDim, "targetgroup/green/") {
		t.Fatalf("dimensions LoadBalancer=%s TargetGroup=%s from %s and %s", lbDim, tgDim, lbArn, green)
	}
	dims := []string{"Name=LoadBalancer,Value=" + lbDim, "Name=TargetGroup,Value=" + tgDim}

	// The smallest period CloudWatch allows, one datapoint above 0.
	const alarm = "web-green-5xx"
	s.mustAWS(append([]string{"cloudwatch", "put-metric-alarm", "--alarm-name", alarm,
		"--namespace", "AWS/ApplicationELB", "--metric-name", "HTTPCode_Target_5XX_Count", "--statistic", "Sum",
		"--period", "10", "--evaluation-periods", "1", "--datapoints-to-alarm", "1", "--threshold", "0",
		"--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching", "--dimensions"}, dims...)...)
	alarmState := func() string {
		a := s.mustAWS("cloudwatch", "describe-alarms", "--alarm-names", alarm)
		v, _ := path(a, "MetricAlarms", 0, "StateValue").(string)
		return v
	}
	eventually(t, 60*time.Second, "the alarm evaluated OK", func() bool { return alarmState() == "OK" })

	s.mustAWS("ecs", "register-task-definition", "--cli-input-json",
		taskDefEntryPoint(t, "v5xx", "python3", "-c", serverErrorApp))
	cfg, _ := json.Marshal(map[string]any{
		"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 2,
		"alarms": map[string]any{"alarmNames": []string{alarm}, "enable": true, "rollback": true},
	})
	start := time.Now()
	v2, v2Rev := updateService(t, s, "web:2", string(cfg))

	// Production load throughout: once production is on v5xx its answers
	// fail, so only the answers' origins are checked.
	stopLoad := loadPhase(t, prod)
	var sawAlarm, sawBake bool
	var d map[string]any
	eventually(t, 4*time.Minute, "the deployment rolled back", func() bool {
		d = describeDeployment(t, s, v2)
		st, _ := d["status"].(string)
		if d["lifecycleStage"] == "BAKE_TIME" && st == "IN_PROGRESS" {
			sawBake = true
		}
		if !sawAlarm && alarmState() == "ALARM" {
			sawAlarm = true
			t.Logf("alarm in ALARM %v after the update; the deployment is %s at %v", time.Since(start).Round(time.Second), st, d["lifecycleStage"])
		}
		if st != "ROLLBACK_SUCCESSFUL" && ended(st) {
			t.Fatalf("deployment %s ended %s (%v), want ROLLBACK_SUCCESSFUL", v2, st, d["statusReason"])
		}
		return st == "ROLLBACK_SUCCESSFUL"
	})
	t.Logf("rolled back %v after the update: %v", time.Since(start).Round(time.Second), d["statusReason"])
	if !sawBake {
		t.Errorf("the deployment was never seen baking: it should fail during its bake time")
	}
	if r := fmt.Sprint(d["statusReason"]); !strings.Contains(r, alarm) {
		t.Errorf("statusReason %q does not name the alarm %s", r, alarm)
	}
	if got := path(d, "alarms", "status"); got != "TRIGGERED" {
		t.Errorf("alarms.status %v, want TRIGGERED", got)
	}
	if got := fmt.Sprint(path(d, "alarms", "triggeredAlarmNames")); got != fmt.Sprint([]any{alarm}) {
		t.Errorf("alarms.triggeredAlarmNames %s, want [%s]", got, alarm)
	}
	if got := path(d, "rollback", "serviceRevisionArn"); got != v1Rev {
		t.Errorf("rolled back to %v, want v1's revision %s", got, v1Rev)
	}
	if pw, _, ok := weights(d, v1Rev); !ok || pw != 100 {
		t.Errorf("after the rollback v1's requestedProductionTrafficWeight is %v (%v), want 100", pw, ok)
	}

	// Production is back on v1, answering 200s.
	traffic := stopLoad()
	t.Logf("production load: %d ok, %d failed, answers %v, errors %v", traffic.ok.Load(), traffic.fail.Load(), traffic.seen, traffic.errs)
	for body := range traffic.seen {
		if body != "hello from v1" {
			t.Errorf("production answered %q with a 200: only v1 answers 200", body)
		}
	}
	if traffic.fail.Load() == 0 {
		t.Errorf("no request failed while production was on v5xx: the test did not test the alarm")
	}
	if got := sample(prod, 100); got["v1"] != 100 {
		t.Errorf("after the rollback production answered %v, want 100 v1", got)
	}
	answers(t, "rolled back", map[string]string{prod: "v1", test: "v1"})

	// The alarm's history shows it went into ALARM, and CloudWatch has
	// the 5XX count of the green target group.
	h := s.mustAWS("cloudwatch", "describe-alarm-history", "--alarm-name", alarm, "--history-item-type", "StateUpdate")
	var summaries []string
	items, _ := h["AlarmHistoryItems"].([]any)
	for _, it := range items {
		summaries = append(summaries, fmt.Sprint(path(it, "HistorySummary")))
	}
	if !slices.ContainsFunc(summaries, func(s string) bool { return strings.HasSuffix(s, "to ALARM") }) {
		t.Errorf("the alarm's history %v has no change to ALARM", summaries)
	}
	now := time.Now().UTC()
	stats := s.mustAWS(append([]string{"cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApplicationELB",
		"--metric-name", "HTTPCode_Target_5XX_Count", "--statistics", "Sum", "--period", "60",
		"--start-time", now.Add(-10 * time.Minute).Format(time.RFC3339), "--end-time", now.Add(time.Minute).Format(time.RFC3339),
		"--dimensions"}, dims...)...)
	sum := 0.0
	points, _ := stats["Datapoints"].([]any)
	for _, p := range points {
		v, _ := path(p, "Sum").(float64)
		sum += v
	}
	if sum == 0 {
		t.Errorf("get-metric-statistics: no HTTPCode_Target_5XX_Count on the green target group: %v", stats)
	}
	t.Logf("HTTPCode_Target_5XX_Count of %s: %v in all; alarm history %v; v5xx's revision %s", tgDim, sum, summaries, v2Rev)
}
