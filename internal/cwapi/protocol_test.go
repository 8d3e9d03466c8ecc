package cwapi

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

const (
	sigMonitoring = "AWS4-HMAC-SHA256 Credential=x/20261124/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0"
	sigELB        = "AWS4-HMAC-SHA256 Credential=x/20261124/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0"
)

func TestHandles(t *testing.T) {
	cwForm := "Action=DescribeAlarms&Version=2010-08-01"
	elbForm := "Action=DescribeLoadBalancers&Version=2015-12-01"
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		body    string
		want    bool
	}{
		{"rpc-v2-cbor", "POST", CBORPathPrefix + "DescribeAlarms", map[string]string{"Authorization": sigMonitoring}, "", true},
		{"json 1.0", "POST", "/", map[string]string{"X-Amz-Target": TargetPrefix + "DescribeAlarms"}, "{}", true},
		{"ecs json", "POST", "/", map[string]string{"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters"}, "{}", false},
		{"signed query", "POST", "/", map[string]string{"Authorization": sigMonitoring, "Content-Type": formContentType}, cwForm, true},
		{"signed ELBv2 query", "POST", "/", map[string]string{"Authorization": sigELB, "Content-Type": formContentType}, cwForm, false},
		{"unsigned query", "POST", "/", map[string]string{"Content-Type": formContentType + "; charset=utf-8"}, cwForm, true},
		{"unsigned ELBv2 query", "POST", "/", map[string]string{"Content-Type": formContentType}, elbForm, false},
		{"unsigned without version", "POST", "/", map[string]string{"Content-Type": formContentType}, "Action=DescribeAlarms", false},
		{"another rpc-v2-cbor service", "POST", "/service/Other/operation/X", nil, "", false},
		{"get", "GET", "/healthz", nil, "", false},
		{"huge unsigned query", "POST", "/", map[string]string{"Content-Type": formContentType}, cwForm + "&x=" + strings.Repeat("a", maxBody), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := Handles(r); got != tt.want {
				t.Fatalf("Handles = %v, want %v", got, tt.want)
			}
			if b, _ := io.ReadAll(r.Body); string(b) != tt.body {
				t.Fatalf("the body read after Handles differs (%d bytes, want %d)", len(b), len(tt.body))
			}
		})
	}
}

func TestJSONProtocol(t *testing.T) {
	api := newTestAPI(t, Config{})
	status, hdr, body := postJSON(api, "SetAlarmState", `{"AlarmName":"nope","StateValue":"OK","StateReason":"x"}`)
	if status != http.StatusNotFound || hdr.Get("x-amzn-query-error") != "ResourceNotFound;Sender" ||
		body["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" || body["message"] != "Alarm nope not found" ||
		hdr.Get("Content-Type") != jsonContentType {
		t.Errorf("unknown alarm: %d %v %v", status, hdr, body)
	}
	tests := []struct {
		name, op, body string
		status         int
		code           string
	}{
		{"missing member", "SetAlarmState", `{"AlarmName":"a","StateValue":"OK"}`, 400, "ValidationError"},
		{"bad enum", "SetAlarmState", `{"AlarmName":"a","StateValue":"NO","StateReason":"x"}`, 400, "ValidationError"},
		{"wrong type", "DescribeAlarms", `{"MaxRecords":"ten"}`, 400, "SerializationException"},
		{"not JSON", "DescribeAlarms", `{`, 400, "SerializationException"},
		{"unsupported", "PutDashboard", `{}`, 400, "InvalidAction"},
		{"unknown", "Fly", `{}`, 400, "InvalidAction"},
		{"max records", "DescribeAlarms", `{"MaxRecords":101}`, 400, "ValidationError"},
		{"names and prefix", "DescribeAlarms", `{"AlarmNames":["a"],"AlarmNamePrefix":"a"}`, 400, "InvalidParameterCombination"},
		{"limit", "GetMetricStatistics", `{"Namespace":"n","MetricName":"m","StartTime":0,"EndTime":1800000000,"Period":60,"Statistics":["Sum"]}`,
			400, "InvalidParameterCombination"},
		{"bad token", "ListMetrics", `{"NextToken":"x"}`, 400, "InvalidNextToken"},
		{"other token", "ListMetrics", `{"NextToken":"` + encodeToken("alarms", "a") + `"}`, 400, "InvalidNextToken"},
		{"no prometheus", "GetMetricData", `{"StartTime":0,"EndTime":60,"MetricDataQueries":[{"Id":"q","Expression":"promql:up","Period":60}]}`,
			400, "InvalidParameterValue"},
		{"duplicate ids", "GetMetricData", `{"StartTime":0,"EndTime":60,"MetricDataQueries":[{"Id":"q","Expression":"promql:up"},{"Id":"q","Expression":"promql:up"}]}`,
			400, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := postJSON(api, tt.op, tt.body)
			if status != tt.status || !strings.HasPrefix(hdr.Get("x-amzn-query-error"), tt.code+";Sender") || body["message"] == "" {
				t.Fatalf("%d %v %v, want %d %s", status, hdr.Get("x-amzn-query-error"), body, tt.status, tt.code)
			}
		})
	}

	// Lists are sent even when empty; doubles always have a fraction.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", TargetPrefix+"DescribeAlarms")
	if _, _, b := call(api, r); string(b) != `{"CompositeAlarms":[],"MetricAlarms":[]}` {
		t.Errorf("empty DescribeAlarms = %s", b)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Namespace":"`+testNS+`","MetricName":"RequestCount",
		"Dimensions":[{"Name":"LoadBalancer","Value":"`+testLB+`"}],"StartTime":`+unix(testNow.Add(-time.Minute))+`,"EndTime":`+unix(testNow)+`,
		"Period":60,"Statistics":["Sum"]}`))
	r.Header.Set("X-Amz-Target", TargetPrefix+"GetMetricStatistics")
	if _, _, b := call(api, r); string(b) != `{"Datapoints":[{"Sum":36.0,"Timestamp":`+unix(testNow.Add(-time.Minute))+`,"Unit":"Count"}],"Label":"RequestCount"}` {
		t.Errorf("GetMetricStatistics = %s", b)
	}

	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Amz-Target", TargetPrefix+"DescribeAlarms")
	if status, _, _ := call(api, r); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", status)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"AlarmNames":["`+strings.Repeat("a", maxBody)+`"]}`))
	r.Header.Set("X-Amz-Target", TargetPrefix+"DescribeAlarms")
	if status, _, _ := call(api, r); status != http.StatusRequestEntityTooLarge {
		t.Errorf("too big: %d", status)
	}
}

// unix writes t as JSON epoch seconds.
func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestCBORProtocol(t *testing.T) {
	api := newTestAPI(t, Config{})
	status, hdr, body := postCBOR(api, "PutMetricAlarm", map[string]any{
		"AlarmName": "c", "Namespace": testNS, "MetricName": "RequestCount", "Statistic": "Sum", "Period": 60,
		"EvaluationPeriods": 1, "Threshold": 100.5, "ComparisonOperator": "GreaterThanThreshold",
		"Dimensions": []any{map[string]any{"Name": "LoadBalancer", "Value": testLB}},
	})
	if status != http.StatusOK || hdr.Get("smithy-protocol") != "rpc-v2-cbor" || hdr.Get("Content-Type") != "" || len(body) != 0 {
		t.Fatalf("PutMetricAlarm: %d %v %v", status, hdr, body)
	}
	status, hdr, body = postCBOR(api, "DescribeAlarms", nil)
	if status != http.StatusOK || hdr.Get("Content-Type") != cborContentType {
		t.Fatalf("DescribeAlarms: %d %v %v", status, hdr, body)
	}
	a := body["MetricAlarms"].([]any)[0].(map[string]any)
	if ts, ok := a["StateUpdatedTimestamp"].(time.Time); !ok || !ts.Equal(testNow) || a["Threshold"] != 100.5 || a["Period"] != uint64(60) {
		t.Errorf("alarm = %v", a)
	}

	// Timestamps in: tag 1 with integer or float seconds.
	for _, start := range []any{cbor.Tag{Number: 1, Content: testNow.Add(-time.Minute).Unix()}, testNow.Add(-time.Minute)} {
		status, _, body = postCBOR(api, "GetMetricStatistics", map[string]any{
			"Namespace": testNS, "MetricName": "RequestCount", "Dimensions": []any{map[string]any{"Name": "LoadBalancer", "Value": testLB}},
			"StartTime": start, "EndTime": cbor.Tag{Number: 1, Content: float64(testNow.Unix())}, "Period": 60, "Statistics": []any{"Sum"},
		})
		if dps, _ := body["Datapoints"].([]any); status != http.StatusOK || len(dps) != 1 || dps[0].(map[string]any)["Sum"] != 36.0 {
			t.Errorf("GetMetricStatistics: %d %v", status, body)
		}
	}

	status, hdr, body = postCBOR(api, "DeleteAlarms", map[string]any{"AlarmNames": []any{"nope"}})
	if status != http.StatusNotFound || hdr.Get("x-amzn-query-error") != "ResourceNotFound;Sender" ||
		body["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" || hdr.Get("smithy-protocol") != "rpc-v2-cbor" {
		t.Errorf("DeleteAlarms: %d %v %v", status, hdr, body)
	}
	bad := map[string][]byte{
		"garbage":           {0xff, 0x00},
		"not a map":         mustCBOR(t, []any{1}),
		"integer map key":   mustCBOR(t, map[int]string{1: "x"}),
		"unknown tag":       mustCBOR(t, map[string]any{"AlarmNames": cbor.Tag{Number: 99, Content: "x"}}),
		"trailing data":     append(mustCBOR(t, map[string]any{}), 0x01),
		"tag 1 on a string": mustCBOR(t, map[string]any{"AlarmNames": []any{"a"}, "MaxRecords": cbor.Tag{Number: 1, Content: "x"}}),
		"NaN":               mustCBOR(t, map[string]any{"MaxRecords": math.NaN()}),
		"string for number": mustCBOR(t, map[string]any{"MaxRecords": "ten"}),
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			status, hdr, body := postCBORBytes(api, "DescribeAlarms", b)
			if status != http.StatusBadRequest || !strings.HasSuffix(hdr.Get("x-amzn-query-error"), ";Sender") || body["message"] == "" {
				t.Fatalf("%d %v %v", status, hdr, body)
			}
		})
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQueryProtocol(t *testing.T) {
	api := newTestAPI(t, Config{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Handles(r) {
			http.Error(w, "not CloudWatch", http.StatusNotFound)
			return
		}
		api.ServeHTTP(w, r)
	})
	status, body := postForm(h, "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=q&Namespace=AWS%2FApplicationELB"+
		"&MetricName=RequestCount&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=5&ComparisonOperator=LessThanThreshold"+
		"&Dimensions.member.1.Name=LoadBalancer&Dimensions.member.1.Value="+testLB)
	if status != http.StatusOK || !strings.Contains(body, `<PutMetricAlarmResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><ResponseMetadata><RequestId>`) {
		t.Fatalf("PutMetricAlarm: %d %s", status, body)
	}
	status, body = postForm(h, "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=q")
	for _, want := range []string{
		"<DescribeAlarmsResult><CompositeAlarms></CompositeAlarms><MetricAlarms><member><AlarmName>q</AlarmName>",
		"<StateUpdatedTimestamp>2026-11-24T12:00:00.000Z</StateUpdatedTimestamp>",
		"<Dimensions><member><Name>LoadBalancer</Name><Value>" + testLB + "</Value></member></Dimensions>",
		"<Threshold>5</Threshold>",
	} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("DescribeAlarms: %d %s\nwant %s", status, body, want)
		}
	}
	tests := []struct {
		name, form string
		status     int
		code       string
	}{
		{"unknown alarm", "Action=SetAlarmState&Version=2010-08-01&AlarmName=x&StateValue=OK&StateReason=r", 404, "ResourceNotFound"},
		{"missing action", "Version=2010-08-01", 400, "MissingAction"},
		{"bad list index", "Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.0=q", 400, "ValidationError"},
		{"bad number", "Action=DescribeAlarms&Version=2010-08-01&MaxRecords=ten", 400, "ValidationError"},
		{"bad date", "Action=DescribeAlarmHistory&Version=2010-08-01&StartDate=yesterday", 400, "ValidationError"},
		{"unsupported", "Action=PutMetricData&Version=2010-08-01", 400, "InvalidAction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := postForm(h, tt.form)
			if status != tt.status || !strings.Contains(body, "<Type>Sender</Type><Code>"+tt.code+"</Code>") {
				t.Fatalf("%d %s, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
	// A signed request whose Version is wrong reaches the API, which
	// names the version it serves.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=DescribeAlarms&Version=2015-12-01"))
	r.Header.Set("Content-Type", formContentType)
	r.Header.Set("Authorization", sigMonitoring)
	if status, _, b := call(h, r); status != 400 || !bytes.Contains(b, []byte("<Code>InvalidAction</Code>")) {
		t.Errorf("wrong version: %d %s", status, b)
	}
}

func TestEmptyBodies(t *testing.T) {
	api := newTestAPI(t, Config{})
	for _, p := range []protocol{protoJSON, protoCBOR} {
		var r *http.Request
		if p == protoJSON {
			r = httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("X-Amz-Target", TargetPrefix+"ListMetrics")
		} else {
			r = httptest.NewRequest(http.MethodPost, CBORPathPrefix+"ListMetrics", nil)
		}
		if status, _, b := call(api, r); status != http.StatusOK || len(b) == 0 {
			t.Errorf("protocol %d, empty body: %d %q", p, status, b)
		}
	}
}
