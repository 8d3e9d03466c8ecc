package cwapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// fuzzOps are the operations the fuzzers send requests to.
var fuzzOps = []string{"PutMetricAlarm", "DescribeAlarms", "DeleteAlarms", "SetAlarmState", "DescribeAlarmHistory",
	"GetMetricStatistics", "GetMetricData", "ListMetrics", "PutDashboard", "Nope"}

// seedBodies are JSON bodies that the operations accept, and a few they
// refuse.
var seedBodies = []string{
	`{"AlarmName":"a",` + simpleAlarm + `}`,
	`{"AlarmName":"p","EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold","Metrics":[{"Id":"q","Expression":"promql:up","Period":60}]}`,
	`{"AlarmNames":["a"],"MaxRecords":5}`,
	`{"AlarmName":"a","StateValue":"ALARM","StateReason":"x","StateReasonData":"{}"}`,
	`{"AlarmName":"a","HistoryItemType":"StateUpdate","StartDate":0,"EndDate":1e10,"ScanBy":"TimestampAscending"}`,
	`{"Namespace":"` + testNS + `","MetricName":"RequestCount","StartTime":1795517000,"EndTime":1795521600,"Period":60,"Statistics":["Sum","Average"]}`,
	`{"StartTime":1795517000,"EndTime":1795521600,"MetricDataQueries":[{"Id":"m","MetricStat":{"Metric":{"Namespace":"n","MetricName":"m"},"Period":60,"Stat":"Sum"}}]}`,
	`{"Namespace":"` + testNS + `","Dimensions":[{"Name":"TargetGroup"}]}`,
	`{"MaxRecords":0}`, `[]`, `{"AlarmNames":[null]}`,
}

// checkAnswer fails unless an answer is a well-formed, non-5xx answer of
// its protocol.
func checkAnswer(t *testing.T, p protocol, status int, hdr http.Header, body []byte) {
	t.Helper()
	if status >= http.StatusInternalServerError {
		t.Fatalf("status %d: %q", status, body)
	}
	switch p {
	case protoQuery:
		if err := xml.Unmarshal(body, new(struct{})); err != nil {
			t.Fatalf("status %d: the answer is not XML: %v: %q", status, err, body)
		}
	case protoCBOR:
		if len(body) > 0 && cbor.Wellformed(body) != nil {
			t.Fatalf("status %d: the answer is not CBOR: %q", status, body)
		}
	}
	if status != http.StatusOK && p != protoQuery && hdr.Get("x-amzn-query-error") == "" {
		t.Fatalf("status %d without x-amzn-query-error", status)
	}
}

// FuzzJSONAndCBOR sends random bodies to every operation as JSON, and
// the same document re-encoded as CBOR (or raw bytes as CBOR): the API
// must never panic nor answer 5xx.
//
//	go test ./internal/cwapi -run '^$' -fuzz FuzzJSONAndCBOR -fuzztime 60s
func FuzzJSONAndCBOR(f *testing.F) {
	api := newTestAPI(f, Config{})
	for i, b := range seedBodies {
		f.Add(uint8(i), []byte(b))
	}
	f.Add(uint8(0), []byte{0xbf, 0x69, 'A', 'l', 'a', 'r', 'm', 'N', 'a', 'm', 'e', 0x61, 'a', 0xff})
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := fuzzOps[int(opIndex)%len(fuzzOps)]
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Target", TargetPrefix+op)
		status, hdr, b := call(api, r)
		checkAnswer(t, protoJSON, status, hdr, b)

		r = httptest.NewRequest(http.MethodPost, CBORPathPrefix+op, bytes.NewReader(body))
		status, hdr, b = call(api, r)
		checkAnswer(t, protoCBOR, status, hdr, b)

		// The JSON document, if it is one, as CBOR.
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return
		}
		enc, err := cbor.Marshal(v)
		if err != nil {
			return
		}
		r = httptest.NewRequest(http.MethodPost, CBORPathPrefix+op, bytes.NewReader(enc))
		status, hdr, b = call(api, r)
		checkAnswer(t, protoCBOR, status, hdr, b)
	})
}

// FuzzQuery sends random forms: the API must never panic nor answer 5xx,
// and always answer XML.
//
//	go test ./internal/cwapi -run '^$' -fuzz FuzzQuery -fuzztime 60s
func FuzzQuery(f *testing.F) {
	api := newTestAPI(f, Config{})
	f.Add("Action=PutMetricAlarm&Version=2010-08-01&AlarmName=a&Namespace=n&MetricName=m&Statistic=Sum&Period=60" +
		"&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold&Dimensions.member.1.Name=x&Dimensions.member.1.Value=y")
	f.Add("Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=a&MaxRecords=3")
	f.Add("Action=GetMetricData&Version=2010-08-01&StartTime=2026-11-24T11:00:00Z&EndTime=2026-11-24T12:00:00Z" +
		"&MetricDataQueries.member.1.Id=m&MetricDataQueries.member.1.Expression=promql%3Aup&MetricDataQueries.member.1.Period=60")
	f.Add("Action=DescribeAlarmHistory&Version=2010-08-01&StartDate=2026-11-24&MaxRecords=1&NextToken=x")
	f.Fuzz(func(t *testing.T, form string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
		r.Header.Set("Content-Type", formContentType)
		status, hdr, b := call(api, r)
		checkAnswer(t, protoQuery, status, hdr, b)
	})
}
