package cwapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// TestBoto3Protocols runs testdata/boto_cloudwatch.py with boto3 in each
// of CloudWatch's protocols (rpc-v2-cbor, JSON 1.0, query): every one
// must reach the API in that protocol and see the same answers.
func TestBoto3Protocols(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs boto3")
	}
	python, err := exec.LookPath("python3")
	if err != nil || exec.Command(python, "-c", "import boto3").Run() != nil {
		t.Skip("boto3 is not installed")
	}
	protocols := map[string]string{"smithy-rpc-v2-cbor": "cbor", "json": "json", "query": "query"}
	var mu sync.Mutex
	outputs := map[string]string{}
	t.Run("group", func(t *testing.T) {
		for proto, want := range protocols {
			t.Run(proto, func(t *testing.T) {
				t.Parallel()
				api := newTestAPI(t, Config{})
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !Handles(r) {
						http.Error(w, "not a CloudWatch request", http.StatusNotFound)
						return
					}
					if p, _ := detect(r); [...]string{"cbor", "json", "query"}[p] != want {
						t.Errorf("%s request reached the API as %v", proto, p)
					}
					api.ServeHTTP(w, r)
				}))
				defer srv.Close()
				cmd := exec.Command(python, "testdata/boto_cloudwatch.py", srv.URL, proto, strconv.FormatInt(testNow.Unix(), 10))
				out, err := cmd.Output()
				if err != nil {
					var stderr []byte
					if ee, ok := err.(*exec.ExitError); ok {
						stderr = ee.Stderr
					}
					t.Fatalf("boto_cloudwatch.py %s: %v\n%s", proto, err, stderr)
				}
				mu.Lock()
				outputs[proto] = string(out)
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(outputs["json"]), &got); err != nil {
		t.Fatal(err)
	}
	for proto, out := range outputs {
		if out != outputs["json"] {
			t.Errorf("%s saw\n%s\njson saw\n%s", proto, out, outputs["json"])
		}
	}
	want := map[string]string{
		"alarm":       `{"arn":"arn:aws:cloudwatch:us-east-1:000000000000:alarm:b-5xx","dimensions":[{"Name":"LoadBalancer","Value":"app/web/0123456789abcdef"},{"Name":"TargetGroup","Value":"targetgroup/blue/0123456789abcdef"}],"name":"b-5xx","state":"INSUFFICIENT_DATA","threshold":1.5,"updated":"2026-11-24T12:00:00+00:00"}`,
		"pages":       `[["b-5xx"],["b-rt"],false]`,
		"alarming":    `[["b-5xx","drill",{"a":1}]]`,
		"history":     `[["Alarm updated from INSUFFICIENT_DATA to ALARM","2026-11-24T12:00:00+00:00","ALARM"]]`,
		"history_all": `["Alarm \"b-5xx\" created","Alarm \"b-rt\" created",true]`,
		"statistics": `[["2026-11-24T11:57:00+00:00",36,6,6,"Count",false],["2026-11-24T11:58:00+00:00",36,6,6,"Count",false],` +
			`["2026-11-24T11:59:00+00:00",36,6,6,"Count",false]]`,
		"data": `[["rt","latency",["2026-11-24T11:50:00+00:00","2026-11-24T11:55:00+00:00"],[0.25,0.25],"Complete"],` +
			`["errors","HTTPCode_Target_5XX_Count",["2026-11-24T11:55:00+00:00"],[30],"Complete"]]`,
		"metrics": `["HTTPCode_Target_5XX_Count","RequestCount","TargetResponseTime"]`,
		"errors": `{"bad token":"InvalidNextToken","delete unknown":"ResourceNotFound","metric math":"InvalidParameterValue",` +
			`"no statistics":"InvalidParameterCombination","percentile alarm":"InvalidParameterCombination",` +
			`"reversed range":"InvalidParameterValue","unknown alarm":"ResourceNotFound","unsupported":"InvalidAction"}`,
		"left": `0`,
	}
	for k, w := range want {
		b, _ := json.Marshal(got[k])
		if string(b) != w {
			t.Errorf("%s =\n  %s\nwant\n  %s", k, b, w)
		}
	}
}
