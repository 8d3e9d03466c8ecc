package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/cwapi"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

// TestCloudWatchRoute checks that CloudWatch requests of every protocol
// reach the CloudWatch API, reading the server's metrics store, and that
// the others (ECS, ELBv2, the rest) go on to the other routes.
func TestCloudWatchRoute(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mstore := metrics.NewStore(0, 0)
	now := time.Now().Truncate(time.Minute)
	mstore.Add("AWS/ApplicationELB", "RequestCount", "Count", nil, now, metrics.Value(3))
	var woken atomic.Int64
	cw, err := newCloudWatch(st, state.ARNs{Region: "us-east-1", Account: "000000000000"}, mstore, &config.Config{},
		func() { woken.Add(1) }, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var others atomic.Int64
	h := cw.route(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		others.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	list := `{"Namespace":"AWS/ApplicationELB"}`
	tests := []struct {
		name, path, target, contentType, auth, body string
		cloudWatch                                  bool
	}{
		{"json", "/", cwapi.TargetPrefix + "ListMetrics", "application/x-amz-json-1.0", "", list, true},
		{"cbor", cwapi.CBORPathPrefix + "ListMetrics", "", "application/cbor", "", "\xa0", true},
		{"unsigned query", "/", "", "application/x-www-form-urlencoded", "", "Action=ListMetrics&Version=2010-08-01", true},
		{"signed query", "/", "", "application/x-www-form-urlencoded",
			"AWS4-HMAC-SHA256 Credential=x/20261124/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
			"Action=ListMetrics", true},
		{"ELBv2 query", "/", "", "application/x-www-form-urlencoded", "", "Action=DescribeLoadBalancers&Version=2015-12-01", false},
		{"ECS", "/", "AmazonEC2ContainerServiceV20141113.ListClusters", "application/x-amz-json-1.1", "", "{}", false},
		{"health", "/healthz", "", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := others.Load()
			r := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			for k, v := range map[string]string{"X-Amz-Target": tt.target, "Content-Type": tt.contentType, "Authorization": tt.auth} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if routed := others.Load() == before; routed != tt.cloudWatch {
				t.Fatalf("CloudWatch route = %v, want %v (status %d)", routed, tt.cloudWatch, w.Code)
			}
			if tt.cloudWatch && (w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "RequestCount")) {
				t.Fatalf("status %d: %q", w.Code, w.Body.String())
			}
		})
	}

	// A change through the API wakes the controller.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"AlarmName":"a","Namespace":"AWS/ApplicationELB",
		"MetricName":"RequestCount","Statistic":"Sum","Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"}`))
	r.Header.Set("X-Amz-Target", cwapi.TargetPrefix+"PutMetricAlarm")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || woken.Load() != 1 {
		t.Fatalf("PutMetricAlarm: %d %s, woken %d", w.Code, w.Body.String(), woken.Load())
	}

	if _, err := newCloudWatch(st, state.ARNs{}, mstore, &config.Config{Prometheus: config.Prometheus{URL: "localhost:9090"}},
		func() {}, nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a Prometheus URL without a scheme was accepted")
	}
}
