package cwapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/prometheus"
)

// mustJSON sends a JSON request that must succeed and returns the answer.
func mustJSON(t *testing.T, h http.Handler, op, body string) map[string]any {
	t.Helper()
	status, _, v := postJSON(h, op, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: %d %v", op, body, status, v)
	}
	return v
}

// names returns a member of each element of a list.
func names(v any, member string) string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, fmt.Sprint(e.(map[string]any)[member]))
	}
	return strings.Join(out, ",")
}

const simpleAlarm = `"Namespace":"n","MetricName":"m","Statistic":"Sum","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"`

func TestDescribeAlarms(t *testing.T) {
	api := newTestAPI(t, Config{})
	for _, name := range []string{"c", "a", "b", "d"} {
		mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"`+name+`",`+simpleAlarm+`,"OKActions":["arn:aws:sns:us-east-1:0:`+name+`"]}`)
	}
	mustJSON(t, api, "SetAlarmState", `{"AlarmName":"b","StateValue":"ALARM","StateReason":"x"}`)
	tests := []struct {
		name, body, want string
		next             bool
	}{
		{"all in name order", `{}`, "a,b,c,d", false},
		{"page", `{"MaxRecords":3}`, "a,b,c", true},
		{"names", `{"AlarmNames":["d","b","x"]}`, "b,d", false},
		{"prefix", `{"AlarmNamePrefix":"c"}`, "c", false},
		{"state", `{"StateValue":"ALARM"}`, "b", false},
		{"action prefix", `{"ActionPrefix":"arn:aws:sns:us-east-1:0:d"}`, "d", false},
		{"composite only", `{"AlarmTypes":["CompositeAlarm"]}`, "", false},
		{"children", `{"ChildrenOfAlarmName":"a"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustJSON(t, api, "DescribeAlarms", tt.body)
			if n := names(got["MetricAlarms"], "AlarmName"); n != tt.want || (got["NextToken"] != nil) != tt.next {
				t.Fatalf("alarms %q next %v, want %q %v", n, got["NextToken"], tt.want, tt.next)
			}
		})
	}
	page := mustJSON(t, api, "DescribeAlarms", `{"MaxRecords":3}`)
	rest := mustJSON(t, api, "DescribeAlarms", `{"MaxRecords":3,"NextToken":"`+page["NextToken"].(string)+`"}`)
	if n := names(rest["MetricAlarms"], "AlarmName"); n != "d" || rest["NextToken"] != nil {
		t.Errorf("second page %v", rest)
	}
}

func TestPutMetricAlarmUpdate(t *testing.T) {
	api := newTestAPI(t, Config{})
	mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"a",`+simpleAlarm+`,"Tags":[{"Key":"k","Value":"v"}]}`)
	mustJSON(t, api, "SetAlarmState", `{"AlarmName":"a","StateValue":"ALARM","StateReason":"x"}`)
	mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"a",`+strings.Replace(simpleAlarm, `"Threshold":1`, `"Threshold":2`, 1)+`}`)
	a := mustJSON(t, api, "DescribeAlarms", `{}`)["MetricAlarms"].([]any)[0].(map[string]any)
	if a["StateValue"] != "ALARM" || a["Threshold"] != 2.0 || a["ActionsEnabled"] != true {
		t.Errorf("updated alarm = %v", a)
	}
	h := mustJSON(t, api, "DescribeAlarmHistory", `{"AlarmName":"a","HistoryItemType":"ConfigurationUpdate"}`)["AlarmHistoryItems"].([]any)
	if len(h) != 2 || h[0].(map[string]any)["HistorySummary"] != `Alarm "a" updated` {
		t.Fatalf("history = %v", h)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(h[0].(map[string]any)["HistoryData"].(string)), &data); err != nil ||
		data["type"] != "Update" || fmt.Sprint(data["originalUpdatedFields"]) != "map[Threshold:1]" {
		t.Errorf("update data = %v (%v)", data, err)
	}
	if status, _, v := postJSON(api, "PutMetricAlarm", `{"AlarmName":"p","EvaluationPeriods":1,"Threshold":1,`+
		`"ComparisonOperator":"GreaterThanThreshold","Metrics":[{"Id":"q","Expression":"promql:up","Period":60}]}`); status != 400 ||
		!strings.Contains(fmt.Sprint(v["message"]), "prometheus.url") {
		t.Errorf("promql alarm without Prometheus: %d %v", status, v)
	}
}

func TestAlarmQuota(t *testing.T) {
	api := newTestAPI(t, Config{})
	api.maxAlarms = 3
	for i := range 3 {
		mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"a`+strconv.Itoa(i)+`",`+simpleAlarm+`}`)
	}
	status, hdr, _ := postJSON(api, "PutMetricAlarm", `{"AlarmName":"over",`+simpleAlarm+`}`)
	if status != 400 || hdr.Get("x-amzn-query-error") != "LimitExceeded;Sender" {
		t.Fatalf("over quota: %d %v", status, hdr)
	}
	// Updating an existing alarm adds none.
	mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"a1",`+simpleAlarm+`}`)
}

func TestAlarmHistoryPages(t *testing.T) {
	api := newTestAPI(t, Config{})
	mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"a",`+simpleAlarm+`}`)
	for _, s := range []string{"OK", "ALARM", "OK"} {
		mustJSON(t, api, "SetAlarmState", `{"AlarmName":"a","StateValue":"`+s+`","StateReason":"x"}`)
	}
	var seen []string
	token := ""
	for range 3 {
		body := `{"AlarmName":"a","MaxRecords":3}`
		if token != "" {
			body = `{"AlarmName":"a","MaxRecords":3,"NextToken":"` + token + `"}`
		}
		got := mustJSON(t, api, "DescribeAlarmHistory", body)
		seen = append(seen, names(got["AlarmHistoryItems"], "HistorySummary"))
		next, _ := got["NextToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	want := []string{
		"Alarm updated from ALARM to OK,Alarm updated from OK to ALARM,Alarm updated from INSUFFICIENT_DATA to OK",
		`Alarm "a" created`,
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("pages = %q", seen)
	}
	got := mustJSON(t, api, "DescribeAlarmHistory", `{"StartDate":`+unix(testNow.Add(time.Second))+`}`)
	if items := got["AlarmHistoryItems"].([]any); len(items) != 0 {
		t.Errorf("items after StartDate: %v", items)
	}
	if status, _, _ := postJSON(api, "DescribeAlarmHistory", `{"StartDate":10,"EndDate":5}`); status != 400 {
		t.Errorf("reversed dates: %d", status)
	}
}

func TestListMetricsPages(t *testing.T) {
	api := newTestAPI(t, Config{})
	for i := range listMetricsPage + 10 {
		api.metrics.Add("Custom", "M", "Count", []metrics.Dimension{{Name: "N", Value: fmt.Sprintf("%04d", i)}}, testNow, metrics.Value(1))
	}
	first := mustJSON(t, api, "ListMetrics", `{"Namespace":"Custom"}`)
	if n := len(first["Metrics"].([]any)); n != listMetricsPage || first["NextToken"] == nil {
		t.Fatalf("first page: %d metrics, token %v", n, first["NextToken"])
	}
	second := mustJSON(t, api, "ListMetrics", `{"Namespace":"Custom","NextToken":"`+first["NextToken"].(string)+`"}`)
	list := second["Metrics"].([]any)
	if len(list) != 10 || second["NextToken"] != nil || names(list[0].(map[string]any)["Dimensions"], "Value") != "0500" {
		t.Fatalf("second page: %v", second)
	}
	got := mustJSON(t, api, "ListMetrics", `{"Namespace":"`+testNS+`","MetricName":"RequestCount","Dimensions":[{"Name":"LoadBalancer","Value":"`+testLB+`"}]}`)
	if n := len(got["Metrics"].([]any)); n != 2 {
		t.Errorf("RequestCount series of the load balancer: %v", got)
	}
}

func TestGetMetricData(t *testing.T) {
	api := newTestAPI(t, Config{})
	stat := func(id, metric, stat, unit string) string {
		u := ""
		if unit != "" {
			u = `,"Unit":"` + unit + `"`
		}
		return `{"Id":"` + id + `","MetricStat":{"Metric":{"Namespace":"` + testNS + `","MetricName":"` + metric +
			`","Dimensions":[{"Name":"LoadBalancer","Value":"` + testLB + `"}]},"Period":60,"Stat":"` + stat + `"` + u + `}}`
	}
	window := `"StartTime":` + unix(testNow.Add(-3*time.Minute)) + `,"EndTime":` + unix(testNow)
	got := mustJSON(t, api, "GetMetricData", `{`+window+`,"MaxDatapoints":4,"MetricDataQueries":[`+
		stat("a", "RequestCount", "SampleCount", "")+`,`+stat("b", "RequestCount", "Average", "Seconds")+`,`+
		stat("c", "RequestCount", "Maximum", "Count")+`]}`)
	res := got["MetricDataResults"].([]any)
	if len(res) != 3 {
		t.Fatalf("results = %v", res)
	}
	a, b, c := res[0].(map[string]any), res[1].(map[string]any), res[2].(map[string]any)
	if fmt.Sprint(a["Values"]) != "[6 6 6]" || a["StatusCode"] != "Complete" || a["Label"] != "RequestCount" {
		t.Errorf("a = %v", a)
	}
	if fmt.Sprint(b["Values"]) != "[]" {
		t.Errorf("b (other unit) = %v", b)
	}
	if fmt.Sprint(c["Values"]) != "[6]" || c["StatusCode"] != "PartialData" {
		t.Errorf("c (beyond MaxDatapoints) = %v", c)
	}
	if status, _, v := postJSON(api, "GetMetricData", `{`+window+`,"MetricDataQueries":[`+stat("p", "RequestCount", "p99", "")+`]}`); status != 400 ||
		!strings.Contains(fmt.Sprint(v["message"]), "p99") {
		t.Errorf("percentile: %d %v", status, v)
	}
	if status, _, _ := postJSON(api, "GetMetricData", `{`+window+`,"NextToken":"x","MetricDataQueries":[`+stat("a", "RequestCount", "Sum", "")+`]}`); status != 400 {
		t.Errorf("next token: %d", status)
	}
}

func TestPromQL(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if strings.Contains(r.Form.Get("query"), "(") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error"}`)
			return
		}
		start, _ := strconv.ParseInt(r.Form.Get("start"), 10, 64)
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[`+
			`{"metric":{"code":"500"},"values":[[%d,"2"],[%d,"NaN"],[%d,"4"]]},{"metric":{"code":"502"},"values":[[%d,"1"]]}]}}`,
			start, start+60, start+120, start)
	}))
	defer prom.Close()
	client, err := prometheus.New(prom.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	api := newTestAPI(t, Config{PromQL: client})
	got := mustJSON(t, api, "GetMetricData", `{"StartTime":`+unix(testNow.Add(-3*time.Minute))+`,"EndTime":`+unix(testNow)+
		`,"ScanBy":"TimestampAscending","MetricDataQueries":[{"Id":"e","Expression":"promql:errors","Period":60}]}`)
	res := got["MetricDataResults"].([]any)
	r0, r1 := res[0].(map[string]any), res[1].(map[string]any)
	if len(res) != 2 || r0["Label"] != `{code="500"}` || fmt.Sprint(r0["Values"]) != "[2 4]" || r1["Label"] != `{code="502"}` {
		t.Fatalf("results = %v", res)
	}
	// The value evaluated at the end of a period is the period's.
	if ts := r0["Timestamps"].([]any); ts[0] != float64(testNow.Add(-3*time.Minute).Unix()) {
		t.Errorf("timestamps = %v", ts)
	}
	if status, _, v := postJSON(api, "GetMetricData", `{"StartTime":0,"EndTime":60,"MetricDataQueries":[{"Id":"e","Expression":"promql:rate(x)","Period":60}]}`); status != 400 ||
		!strings.Contains(fmt.Sprint(v["message"]), "parse error") {
		t.Errorf("refused query: %d %v", status, v)
	}
	mustJSON(t, api, "PutMetricAlarm", `{"AlarmName":"p","EvaluationPeriods":1,"Threshold":1,`+
		`"ComparisonOperator":"GreaterThanThreshold","Metrics":[{"Id":"q","Expression":"promql:up","Period":60,"ReturnData":true}]}`)
	a := mustJSON(t, api, "DescribeAlarms", `{}`)["MetricAlarms"].([]any)[0].(map[string]any)
	if names(a["Metrics"], "Expression") != "promql:up" {
		t.Errorf("alarm = %v", a)
	}
}
