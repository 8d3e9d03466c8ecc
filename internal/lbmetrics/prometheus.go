package lbmetrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Label names of the Prometheus metrics: the CloudWatch dimension values
// (app/NAME/ID, targetgroup/NAME/ID).
const (
	LabelLoadBalancer = "load_balancer"
	LabelTargetGroup  = "target_group"
)

var (
	lbLabels    = []string{LabelLoadBalancer}
	groupLabels = []string{LabelLoadBalancer, LabelTargetGroup}

	descUp = prometheus.NewDesc("cutover_lb_up",
		"Whether the last read of the load balancer's counters succeeded.", nil, nil)
	descStarted = prometheus.NewDesc("cutover_lb_start_time_seconds",
		"When the load balancer process started, in Unix seconds: its counters start from zero then.", nil, nil)
	descRequests = prometheus.NewDesc("cutover_lb_requests_total",
		"Requests received by the load balancer, fixed responses and its own errors included.", lbLabels, nil)
	descFixed = prometheus.NewDesc("cutover_lb_fixed_responses_total",
		"Requests answered by a fixed-response action.", lbLabels, nil)
	descELB4xx = prometheus.NewDesc("cutover_lb_elb_4xx_total",
		"Client errors the load balancer answered itself (4xx fixed responses, clients that went away).", lbLabels, nil)
	descELB5xx = prometheus.NewDesc("cutover_lb_elb_5xx_total",
		"Server errors the load balancer answered itself (no target, 502, 504, 5xx fixed responses).", lbLabels, nil)
	descGroupRequests = prometheus.NewDesc("cutover_lb_target_group_requests_total",
		"Requests the load balancer forwarded to the target group.", groupLabels, nil)
	descGroupELB5xx = prometheus.NewDesc("cutover_lb_target_group_elb_5xx_total",
		"Server errors the load balancer answered for requests forwarded to the target group.", groupLabels, nil)
	descTargetResponses = prometheus.NewDesc("cutover_lb_target_responses_total",
		"Responses of the target group's targets, by status class.", []string{LabelLoadBalancer, LabelTargetGroup, "code_class"}, nil)
	descResponseSeconds = prometheus.NewDesc("cutover_lb_target_response_seconds",
		"Time from sending a request to a target to receiving its response headers.", groupLabels, nil)
	descConnErrors = prometheus.NewDesc("cutover_lb_target_connection_errors_total",
		"Connections to the target group's targets that could not be established.", groupLabels, nil)
	descHealthy = prometheus.NewDesc("cutover_lb_healthy_hosts",
		"Targets of the target group in state healthy.", groupLabels, nil)
	descUnhealthy = prometheus.NewDesc("cutover_lb_unhealthy_hosts",
		"Targets of the target group in state unhealthy.", groupLabels, nil)
)

// Prometheus returns a prometheus.Collector of the counters the
// Collector read last (at most one interval old): cumulative, restarting
// from zero with the load balancer process, and labelled with the
// CloudWatch dimension values.
func (c *Collector) Prometheus() prometheus.Collector { return promCollector{c} }

type promCollector struct{ c *Collector }

var _ prometheus.Collector = promCollector{}

// Describe implements prometheus.Collector.
func (p promCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descStarted, descRequests, descFixed, descELB4xx, descELB5xx,
		descGroupRequests, descGroupELB5xx, descTargetResponses, descResponseSeconds, descConnErrors, descHealthy, descUnhealthy} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p promCollector) Collect(ch chan<- prometheus.Metric) {
	m, up := p.c.Last()
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, boolValue(up))
	if m.StartedAt.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(descStarted, prometheus.GaugeValue, float64(m.StartedAt.UnixNano())/1e9)
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, l := range m.LoadBalancers {
		lbName := LoadBalancerDimension(l.ARN)
		counter(descRequests, l.Requests, lbName)
		counter(descFixed, l.FixedResponses, lbName)
		counter(descELB4xx, l.ELB4xx, lbName)
		counter(descELB5xx, l.ELB5xx, lbName)
		for _, g := range l.TargetGroups {
			tg := TargetGroupDimension(g.ARN)
			counter(descGroupRequests, g.Requests, lbName, tg)
			counter(descGroupELB5xx, g.ELB5xx, lbName, tg)
			for _, cc := range []struct {
				class string
				n     uint64
			}{{"2xx", g.Target2xx}, {"3xx", g.Target3xx}, {"4xx", g.Target4xx}, {"5xx", g.Target5xx}} {
				counter(descTargetResponses, cc.n, lbName, tg, cc.class)
			}
			counter(descConnErrors, g.TargetConnectionErrors, lbName, tg)
			ch <- prometheus.MustNewConstSummary(descResponseSeconds, g.TargetResponses,
				float64(g.TargetResponseTimeNanos)/float64(time.Second), nil, lbName, tg)
			ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, float64(g.HealthyHosts), lbName, tg)
			ch <- prometheus.MustNewConstMetric(descUnhealthy, prometheus.GaugeValue, float64(g.UnhealthyHosts), lbName, tg)
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
