package lbmetrics

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/testclock"
)

// gather returns the families of reg by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// find returns the metric of family name whose labels include want.
func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
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
	t.Fatalf("no %s with labels %v", name, want)
	return nil
}

func TestPrometheus(t *testing.T) {
	src, clock := &fakeSource{}, testclock.New(t0)
	c, _ := newTestCollector(t, src, clock)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c.Prometheus())

	fams := gather(t, reg)
	if up := find(t, fams, "cutover_lb_up", nil).GetGauge().GetValue(); up != 0 {
		t.Errorf("cutover_lb_up = %v before any read", up)
	}

	blue := lb.Counters{Requests: 10, Target2xx: 7, Target5xx: 3, ELB5xx: 1, TargetResponses: 10,
		TargetResponseTimeNanos: uint64(1500 * time.Millisecond), TargetConnectionErrors: 1}
	lbc := blue
	lbc.Requests, lbc.ELB4xx, lbc.ELB5xx = 12, 1, 2
	m := snapshot(t0.Add(-time.Hour), t0, lbc, blue, 2, 1)
	m.LoadBalancers[0].FixedResponses = 1
	src.set(m, nil)
	if err := c.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	fams = gather(t, reg)
	pair := map[string]string{"load_balancer": lbDim, "target_group": blueDim}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cutover_lb_requests_total", map[string]string{"load_balancer": lbDim}, 12},
		{"cutover_lb_fixed_responses_total", map[string]string{"load_balancer": lbDim}, 1},
		{"cutover_lb_elb_4xx_total", map[string]string{"load_balancer": lbDim}, 1},
		{"cutover_lb_elb_5xx_total", map[string]string{"load_balancer": lbDim}, 2},
		{"cutover_lb_target_group_requests_total", pair, 10},
		{"cutover_lb_target_group_elb_5xx_total", pair, 1},
		{"cutover_lb_target_connection_errors_total", pair, 1},
		{"cutover_lb_target_responses_total", map[string]string{"load_balancer": lbDim, "target_group": blueDim, "code_class": "2xx"}, 7},
		{"cutover_lb_target_responses_total", map[string]string{"load_balancer": lbDim, "target_group": blueDim, "code_class": "5xx"}, 3},
	} {
		if got := find(t, fams, c.name, c.labels).GetCounter().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := find(t, fams, "cutover_lb_healthy_hosts", pair).GetGauge().GetValue(); got != 2 {
		t.Errorf("cutover_lb_healthy_hosts = %v, want 2", got)
	}
	if got := find(t, fams, "cutover_lb_unhealthy_hosts", pair).GetGauge().GetValue(); got != 1 {
		t.Errorf("cutover_lb_unhealthy_hosts = %v, want 1", got)
	}
	s := find(t, fams, "cutover_lb_target_response_seconds", pair).GetSummary()
	if s.GetSampleCount() != 10 || s.GetSampleSum() != 1.5 {
		t.Errorf("cutover_lb_target_response_seconds count %d sum %v, want 10 and 1.5", s.GetSampleCount(), s.GetSampleSum())
	}
	if up := find(t, fams, "cutover_lb_up", nil).GetGauge().GetValue(); up != 1 {
		t.Errorf("cutover_lb_up = %v after a read", up)
	}
	if st := find(t, fams, "cutover_lb_start_time_seconds", nil).GetGauge().GetValue(); st != float64(t0.Add(-time.Hour).Unix()) {
		t.Errorf("cutover_lb_start_time_seconds = %v", st)
	}
}
