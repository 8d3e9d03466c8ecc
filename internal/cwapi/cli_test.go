package cwapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// awsCLI runs the real aws CLI against an httptest server that routes by
// Handles, as the server does, to the API. The model lists the protocols
// smithy-rpc-v2-cbor, json and query; botocore 1.43 (the CLI v1 of this
// machine) picks the first it ranks highest, json, so the CLI speaks JSON
// 1.0 (boto_test.go drives the other two).
type awsCLI struct {
	bin  string
	url  string
	env  []string
	mu   sync.Mutex
	seen []string // protocols of the requests received
}

func newAWSCLI(t *testing.T, api http.Handler) *awsCLI {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the aws CLI")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	c := &awsCLI{bin: bin}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Handles(r) {
			http.Error(w, "not a CloudWatch request", http.StatusNotFound)
			return
		}
		p, _ := detect(r)
		c.mu.Lock()
		c.seen = append(c.seen, [...]string{"cbor", "json", "query"}[p])
		c.mu.Unlock()
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			c.env = append(c.env, kv)
		}
	}
	c.env = append(c.env,
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
	)
	return c
}

// run runs `aws cloudwatch args...` and returns its JSON output, failing
// the test when the command fails.
func (c *awsCLI) run(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, stderr, err := c.exec(args...)
	if err != nil {
		t.Fatalf("aws cloudwatch %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	v := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("aws cloudwatch %s: output is not JSON: %v\n%s", args[0], err, out)
		}
	}
	return v
}

// fails runs `aws cloudwatch args...`, which must fail with the error
// code; it returns the CLI's message.
func (c *awsCLI) fails(t *testing.T, code string, args ...string) string {
	t.Helper()
	_, stderr, err := c.exec(args...)
	if err == nil {
		t.Fatalf("aws cloudwatch %s succeeded, want error %s", args[0], code)
	}
	if !strings.Contains(string(stderr), "("+code+")") {
		t.Fatalf("aws cloudwatch %s: want error %s, got:\n%s", strings.Join(args, " "), code, stderr)
	}
	return string(stderr)
}

func (c *awsCLI) exec(args ...string) ([]byte, []byte, error) {
	full := append([]string{"cloudwatch", "--endpoint-url", c.url, "--output", "json"}, args...)
	cmd := exec.Command(c.bin, full...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// TestAWSCLI drives the API with the real aws CLI: alarms from creation
// to deletion with their history, metric reads, and error cases, the
// three groups side by side.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, Config{})
	cli := newAWSCLI(t, api)
	t.Run("group", func(t *testing.T) {
		t.Run("alarms", func(t *testing.T) {
			t.Parallel()
			testCLIAlarms(t, cli)
		})
		t.Run("metrics", func(t *testing.T) {
			t.Parallel()
			testCLIMetrics(t, cli)
		})
		testCLIErrors(t, cli)
	})
	// botocore 1.43 speaks JSON 1.0; a later one may prefer rpc-v2-cbor,
	// which the API serves as well.
	cli.mu.Lock()
	defer cli.mu.Unlock()
	if len(cli.seen) == 0 {
		t.Fatal("the CLI sent no request")
	}
	for _, p := range cli.seen {
		if p != cli.seen[0] || p == "query" {
			t.Fatalf("the CLI sent requests in %v", cli.seen)
		}
	}
	t.Logf("the aws CLI spoke %s", cli.seen[0])
}

// testCLIAlarms creates, describes, sets, lists the history of and
// deletes alarms.
func testCLIAlarms(t *testing.T, cli *awsCLI) {
	cli.run(t, "put-metric-alarm", "--alarm-name", "web-5xx", "--namespace", testNS, "--metric-name", "HTTPCode_Target_5XX_Count",
		"--dimensions", "Name=LoadBalancer,Value="+testLB, "Name=TargetGroup,Value="+testTG,
		"--statistic", "Sum", "--period", "60", "--evaluation-periods", "3", "--datapoints-to-alarm", "2",
		"--threshold", "1", "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching",
		"--alarm-actions", "arn:aws:sns:us-east-1:000000000000:pager", "--tags", "Key=team,Value=web")
	cli.run(t, "put-metric-alarm", "--alarm-name", "web-latency", "--evaluation-periods", "1", "--threshold", "0.5",
		"--comparison-operator", "GreaterThanOrEqualToThreshold",
		"--metrics", `[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"`+testNS+`","MetricName":"TargetResponseTime",`+
			`"Dimensions":[{"Name":"LoadBalancer","Value":"`+testLB+`"},{"Name":"TargetGroup","Value":"`+testTG+`"}]},`+
			`"Period":60,"Stat":"Average"},"ReturnData":true}]`)

	got := cli.run(t, "describe-alarms", "--alarm-name-prefix", "web-")
	list := got["MetricAlarms"].([]any)
	if len(list) != 2 {
		t.Fatalf("describe-alarms = %v", got)
	}
	a, latency := list[0].(map[string]any), list[1].(map[string]any) // in name order
	if a["AlarmName"] != "web-5xx" || latency["AlarmName"] != "web-latency" {
		t.Fatalf("alarms = %v", list)
	}
	if a["StateValue"] != "INSUFFICIENT_DATA" || a["StateReason"] != initialReason || a["Threshold"] != 1.0 ||
		a["AlarmArn"] != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:web-5xx" || a["DatapointsToAlarm"] != 2.0 ||
		a["StateUpdatedTimestamp"] != float64(testNow.Unix()) {
		t.Errorf("web-5xx = %v", a)
	}
	if latency["Metrics"] == nil {
		t.Errorf("web-latency has no Metrics: %v", latency)
	}
	if _, ok := got["CompositeAlarms"]; !ok {
		t.Errorf("describe-alarms has no CompositeAlarms list: %v", got)
	}

	cli.run(t, "set-alarm-state", "--alarm-name", "web-5xx", "--state-value", "ALARM", "--state-reason", "testing",
		"--state-reason-data", `{"why":"drill"}`)
	got = cli.run(t, "describe-alarms", "--alarm-names", "web-5xx")
	if a := got["MetricAlarms"].([]any)[0].(map[string]any); a["StateValue"] != "ALARM" || a["StateReason"] != "testing" {
		t.Errorf("after set-alarm-state: %v", a)
	}

	got = cli.run(t, "describe-alarm-history", "--alarm-name", "web-5xx")
	items := got["AlarmHistoryItems"].([]any)
	if len(items) != 2 {
		t.Fatalf("describe-alarm-history = %v", got)
	}
	if it := items[0].(map[string]any); it["HistoryItemType"] != "StateUpdate" || it["HistorySummary"] != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Errorf("newest history item = %v", it)
	}
	if it := items[1].(map[string]any); it["HistoryItemType"] != "ConfigurationUpdate" || it["HistorySummary"] != `Alarm "web-5xx" created` {
		t.Errorf("oldest history item = %v", it)
	}
	cli.run(t, "delete-alarms", "--alarm-names", "web-5xx", "web-latency")
	got = cli.run(t, "describe-alarms")
	if l := got["MetricAlarms"].([]any); len(l) != 0 {
		t.Errorf("describe-alarms after delete = %v", got)
	}
}

// testCLIMetrics reads the test metrics.
func testCLIMetrics(t *testing.T, cli *awsCLI) {
	start, end := testNow.Add(-10*time.Minute).Format(time.RFC3339), testNow.Format(time.RFC3339)
	got := cli.run(t, "get-metric-statistics", "--namespace", testNS, "--metric-name", "RequestCount",
		"--dimensions", "Name=LoadBalancer,Value="+testLB, "--start-time", start, "--end-time", end,
		"--period", "60", "--statistics", "Sum", "SampleCount")
	dps := got["Datapoints"].([]any)
	if len(dps) != 10 || got["Label"] != "RequestCount" {
		t.Fatalf("get-metric-statistics = %v", got)
	}
	if dp := dps[0].(map[string]any); dp["Sum"] != 36.0 || dp["SampleCount"] != 6.0 || dp["Unit"] != "Count" || dp["Average"] != nil {
		t.Errorf("datapoint = %v", dp)
	}

	got = cli.run(t, "get-metric-data", "--start-time", start, "--end-time", end, "--metric-data-queries",
		`[{"Id":"rt","MetricStat":{"Metric":{"Namespace":"`+testNS+`","MetricName":"TargetResponseTime","Dimensions":[{"Name":"LoadBalancer","Value":"`+testLB+`"},{"Name":"TargetGroup","Value":"`+testTG+`"}]},"Period":300,"Stat":"Maximum"}}]`)
	res := got["MetricDataResults"].([]any)[0].(map[string]any)
	if res["Id"] != "rt" || res["StatusCode"] != "Complete" || len(res["Values"].([]any)) != 2 || res["Values"].([]any)[0] != 0.25 {
		t.Errorf("get-metric-data = %v", got)
	}
	if ts := res["Timestamps"].([]any); ts[0] != float64(testNow.Add(-5*time.Minute).Unix()) {
		t.Errorf("get-metric-data timestamps (newest first) = %v", ts)
	}

	got = cli.run(t, "list-metrics", "--namespace", testNS, "--dimensions", "Name=TargetGroup")
	if l := got["Metrics"].([]any); len(l) != 3 {
		t.Errorf("list-metrics = %v", got)
	}
}

// testCLIErrors checks what the CLI reports for refused requests.
func testCLIErrors(t *testing.T, cli *awsCLI) {
	tests := []struct {
		name string
		code string
		args []string
	}{
		{"unknown alarm", "ResourceNotFound", []string{"set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x"}},
		{"bad period", "InvalidParameterValue", []string{"put-metric-alarm", "--alarm-name", "bad", "--namespace", testNS,
			"--metric-name", "RequestCount", "--statistic", "Sum", "--period", "45", "--evaluation-periods", "1", "--threshold", "1",
			"--comparison-operator", "GreaterThanThreshold"}},
		{"bad enum", "ValidationError", []string{"set-alarm-state", "--alarm-name", "web-5xx", "--state-value", "BROKEN", "--state-reason", "x"}},
		{"bad reason data", "InvalidFormat", []string{"set-alarm-state", "--alarm-name", "web-5xx", "--state-value", "OK",
			"--state-reason", "x", "--state-reason-data", "{"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cli.fails(t, tt.code, tt.args...)
		})
	}
}
