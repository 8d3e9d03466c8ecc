package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/elbapi"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/lbmetrics"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

const (
	testListenerARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
	testGroupARN    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067"
	testLBDim       = "app/web/50dc6c495c0c9188"
	testGroupDim    = "targetgroup/blue/73e2d6bc24d8a067"
)

// balancerSource reads an in-process data plane.
type balancerSource struct{ b *lb.Balancer }

func (s balancerSource) Metrics(context.Context) (lb.Metrics, error) { return s.b.Metrics(), nil }

// invokerFunc is a controller.HookInvoker.
type invokerFunc func(ctx context.Context, target string, event []byte) ([]byte, error)

func (f invokerFunc) Invoke(ctx context.Context, target string, event []byte) ([]byte, error) {
	return f(ctx, target, event)
}

func TestMetricsEndpoint(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	// The data plane, in process, serving one load balancer.
	bal := lb.New(lb.Options{Logger: log})
	t.Cleanup(func() { _ = bal.Close(context.Background()) })
	mstore := metrics.NewStore(0, 0)
	obs, err := newObservability(st, balancerSource{bal}, mstore, log)
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "blue") }))
	t.Cleanup(backend.Close)
	host, port, _ := strings.Cut(strings.TrimPrefix(backend.URL, "http://"), ":")
	p, _ := strconv.Atoi(port)
	err = bal.Apply(lb.Config{Version: 1,
		Listeners: []lb.Listener{{ARN: testListenerARN, Address: "127.0.0.1:0", Protocol: "HTTP",
			DefaultActions: []lb.Action{{Type: lb.ActionForward, TargetGroups: []lb.WeightedTargetGroup{{ARN: testGroupARN, Weight: 1}}}}}},
		TargetGroups: []lb.TargetGroup{{ARN: testGroupARN, Protocol: "HTTP", Targets: []lb.Target{{Host: host, Port: p}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.lb.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	lbURL := "http://" + bal.ListenerAddrs()[testListenerARN] + "/"
	for range 3 {
		res, err := http.Get(lbURL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	if err := obs.lb.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	var requests float64
	lbDims := []metrics.Dimension{{Name: lbmetrics.DimLoadBalancer, Value: testLBDim}}
	for _, dp := range mstore.Query(lbmetrics.Namespace, lbmetrics.RequestCount, lbDims,
		time.Now().Add(-time.Minute), time.Now().Add(time.Minute), time.Minute) {
		requests += dp.Sum
	}
	if requests != 3 {
		t.Errorf("the store has RequestCount %v for the load balancer, want 3", requests)
	}

	// Hooks of each kind, one failing.
	hooks := obs.instrumentHooks(invokerFunc(func(_ context.Context, target string, _ []byte) ([]byte, error) {
		if strings.Contains(target, "broken") {
			return nil, errors.New("function error")
		}
		return []byte(`{"hookStatus":"SUCCEEDED"}`), nil
	}), map[string]bool{"local-check": true})
	for _, target := range []string{"http://127.0.0.1:1/hook", "arn:aws:lambda:us-east-1:123456789012:function:broken",
		"local-check", "arn:aws:lambda:us-east-1:123456789012:function:local-check:live"} {
		_, _ = hooks.Invoke(ctx, target, []byte(`{}`))
	}

	// Two deployments in the store.
	err = state.Update(ctx, st, func(tx state.Tx) error {
		svc := &state.Service{Service: ecs.Service{ServiceName: "s1", ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/c1",
			ServiceArn: "arn:aws:ecs:us-east-1:123456789012:service/c1/s1"}}
		if err := tx.PutService(svc); err != nil {
			return err
		}
		for i, status := range []ecs.ServiceDeploymentStatus{ecs.ServiceDeploymentStatusSuccessful, ecs.ServiceDeploymentStatusInProgress} {
			d := &deploy.Deployment{Arn: "arn:aws:ecs:us-east-1:123456789012:service-deployment/c1/s1/000000000000000" + strconv.Itoa(i+1),
				ServiceArn: svc.ServiceArn, ClusterArn: svc.ClusterArn, Status: status}
			if err := tx.PutDeployment(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	arns := state.ARNs{Region: "us-east-1", Account: "123456789012"}
	api := ecsapi.New(ecsapi.Config{Store: st, ARNs: arns, Logger: log})
	elb := elbapi.New(elbapi.Config{Store: st, ARNs: arns, Logger: log})
	srv := httptest.NewServer(handler(api, elb, http.NotFoundHandler(), st, nil, obs, nil, authenticator(nil)))
	t.Cleanup(srv.Close)

	post := func(req *http.Request) int {
		t.Helper()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	ecsCall := func(op string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", ecsapi.TargetPrefix+op)
		return post(req)
	}
	if code := ecsCall("ListClusters"); code != 200 {
		t.Fatalf("ListClusters: %d", code)
	}
	if code := ecsCall("MadeUpOperation"); code == 200 {
		t.Fatal("MadeUpOperation succeeded")
	}
	form := url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {elbapi.APIVersion}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code := post(req); code != 200 {
		t.Fatalf("DescribeLoadBalancers: %d (the body must reach the API intact)", code)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL+MetricsPath, nil)
	if code := post(req); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics = %d, want 405", code)
	}
	res, err := http.Get(srv.URL + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", res.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	pair := map[string]string{"load_balancer": testLBDim, "target_group": testGroupDim}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64 // -1: any value
	}{
		{"cutover_lb_up", nil, 1},
		{"cutover_lb_requests_total", map[string]string{"load_balancer": testLBDim}, 3},
		{"cutover_lb_target_group_requests_total", pair, 3},
		{"cutover_lb_target_responses_total", map[string]string{"load_balancer": testLBDim, "target_group": testGroupDim, "code_class": "2xx"}, 3},
		{"cutover_lb_healthy_hosts", pair, 1},
		{"cutover_lb_elb_5xx_total", map[string]string{"load_balancer": testLBDim}, 0},
		{"cutover_deployments", map[string]string{"status": "IN_PROGRESS"}, 1},
		{"cutover_deployments", map[string]string{"status": "SUCCESSFUL"}, 1},
		{"cutover_deployments", map[string]string{"status": "ROLLBACK_FAILED"}, 0},
		{"cutover_hook_invocations_total", map[string]string{"kind": "url", "outcome": "ok"}, 1},
		{"cutover_hook_invocations_total", map[string]string{"kind": "lambda", "outcome": "error"}, 1},
		{"cutover_hook_invocations_total", map[string]string{"kind": "command", "outcome": "ok"}, 2},
		{"cutover_hook_invocation_seconds", map[string]string{"kind": "command"}, 2},
		{"cutover_api_request_seconds", map[string]string{"api": "ecs", "operation": "ListClusters", "code": "200"}, 1},
		{"cutover_api_request_seconds", map[string]string{"api": "ecs", "operation": "unknown"}, 1},
		{"cutover_api_request_seconds", map[string]string{"api": "elbv2", "operation": "DescribeLoadBalancers", "code": "200"}, 1},
		{"cutover_lb_target_response_seconds", pair, 3},
		{"go_goroutines", nil, -1},
		{"process_start_time_seconds", nil, -1},
	} {
		m := findMetric(fams[c.name], c.labels)
		if m == nil {
			t.Errorf("GET /metrics has no %s%v", c.name, c.labels)
			continue
		}
		got := metricValue(m)
		if c.want >= 0 && got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// findMetric returns the metric of f whose labels include want.
func findMetric(f *dto.MetricFamily, want map[string]string) *dto.Metric {
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// metricValue is a counter's or gauge's value, or the count of a
// histogram or summary.
func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	case m.Summary != nil:
		return float64(m.GetSummary().GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

func TestHookKind(t *testing.T) {
	commands := map[string]bool{"local": true}
	for target, want := range map[string]string{
		"https://hooks.example.com/x": "url",
		"HTTP://127.0.0.1:8080/":      "url",
		"local":                       "command",
		"local:live":                  "command",
		"123456789012:function:local": "command",
		"arn:aws:lambda:us-east-1:123456789012:function:local:3": "command",
		"arn:aws:lambda:us-east-1:123456789012:function:other":   "lambda",
		"other": "lambda",
	} {
		if got := hookKind(target, commands); got != want {
			t.Errorf("hookKind(%q) = %q, want %q", target, got, want)
		}
	}
}
