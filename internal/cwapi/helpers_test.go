package cwapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

// mapType decodes CBOR maps with text keys.
var mapType = reflect.TypeFor[map[string]any]()

var testARNs = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// testNow is the tests' clock: metrics are filled for the hour before it.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Names of the test metrics: one load balancer, one target group.
const (
	testNS = "AWS/ApplicationELB"
	testLB = "app/web/0123456789abcdef"
	testTG = "targetgroup/blue/0123456789abcdef"
)

// testAPI is an API on a fresh store with metrics of the last hour.
type testAPI struct {
	*API
	metrics *metrics.Store
	changes atomic.Int64
}

func newTestAPI(tb testing.TB, cfg Config) *testAPI {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "state.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	t := &testAPI{metrics: metrics.NewStore(0, 24*time.Hour)}
	fillMetrics(t.metrics)
	cfg.Store, cfg.ARNs, cfg.Metrics = st, testARNs, t.metrics
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	cfg.Changed = func() { t.changes.Add(1) }
	t.API = New(cfg)
	return t
}

// fillMetrics adds a sample every 10 s over the hour before testNow:
// RequestCount 6 per sample (36 a minute) on the load balancer and the
// target group, TargetResponseTime 0.25 s, and 5XX counts of 1 in the
// last five minutes only.
func fillMetrics(m *metrics.Store) {
	lb := []metrics.Dimension{{Name: "LoadBalancer", Value: testLB}}
	tg := []metrics.Dimension{{Name: "LoadBalancer", Value: testLB}, {Name: "TargetGroup", Value: testTG}}
	for t := testNow.Add(-time.Hour); t.Before(testNow); t = t.Add(10 * time.Second) {
		m.Add(testNS, "RequestCount", "Count", lb, t, metrics.Value(6))
		m.Add(testNS, "RequestCount", "Count", tg, t, metrics.Value(6))
		m.Add(testNS, "TargetResponseTime", "Seconds", tg, t, metrics.Value(0.25))
		if testNow.Sub(t) <= 5*time.Minute {
			m.Add(testNS, "HTTPCode_Target_5XX_Count", "Count", tg, t, metrics.Value(1))
		}
	}
}

// call sends one request and returns the status and body.
func call(h http.Handler, r *http.Request) (int, http.Header, []byte) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Header(), w.Body.Bytes()
}

// postJSON sends a JSON 1.0 request.
func postJSON(h http.Handler, op, body string) (int, http.Header, map[string]any) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", jsonContentType)
	r.Header.Set("X-Amz-Target", TargetPrefix+op)
	status, hdr, b := call(h, r)
	v := map[string]any{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			v["_raw"] = string(b)
		}
	}
	return status, hdr, v
}

// postCBOR sends an rpc-v2-cbor request whose body is v encoded.
func postCBOR(h http.Handler, op string, v any) (int, http.Header, map[string]any) {
	var body []byte
	if v != nil {
		b, err := cbor.Marshal(v)
		if err != nil {
			panic(err)
		}
		body = b
	}
	return postCBORBytes(h, op, body)
}

// postCBORBytes sends an rpc-v2-cbor request with a raw body.
func postCBORBytes(h http.Handler, op string, body []byte) (int, http.Header, map[string]any) {
	r := httptest.NewRequest(http.MethodPost, CBORPathPrefix+op, bytes.NewReader(body))
	r.Header.Set("Content-Type", cborContentType)
	r.Header.Set("smithy-protocol", "rpc-v2-cbor")
	status, hdr, b := call(h, r)
	v := map[string]any{}
	if len(b) > 0 {
		dm, _ := cbor.DecOptions{DefaultMapType: mapType}.DecMode()
		if err := dm.Unmarshal(b, &v); err != nil {
			v["_raw"] = string(b)
		}
	}
	return status, hdr, v
}

// postForm sends a query-protocol request.
func postForm(h http.Handler, form string) (int, string) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	status, _, b := call(h, r)
	return status, string(b)
}
