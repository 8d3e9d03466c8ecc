package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/lbmetrics"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// MetricsPath serves the Prometheus metrics (GET).
const MetricsPath = "/metrics"

// observability is what the server knows about itself and its load
// balancer: the load balancer's metrics collector, which fills the
// CloudWatch-style store, and the Prometheus registry behind
// GET /metrics with the API's, the hooks' and the deployments' metrics.
type observability struct {
	lb      *lbmetrics.Collector
	reg     *prometheus.Registry
	handler http.Handler

	apiSeconds  *prometheus.HistogramVec
	hookSeconds *prometheus.HistogramVec
	hookTotal   *prometheus.CounterVec
	// leader is 1 while this server leads (leader.go).
	leader prometheus.Gauge
}

// newObservability reads the load balancer's counters from src into
// mstore and registers every metric in a registry of its own.
func newObservability(st store.Store, src lbmetrics.Source, mstore *metrics.Store, log *slog.Logger) (*observability, error) {
	lbm, err := lbmetrics.New(lbmetrics.Config{Source: src, Store: mstore, Logger: log})
	if err != nil {
		return nil, err
	}
	o := &observability{
		lb:  lbm,
		reg: prometheus.NewRegistry(),
		apiSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cutover_api_request_seconds",
			Help: "Time to answer an ECS or ELBv2 API request, by operation and HTTP status.",
		}, []string{"api", "operation", "code"}),
		hookSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cutover_hook_invocation_seconds",
			Help:    "Time a lifecycle hook invocation took, by kind of hook target (lambda, url, command).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"kind"}),
		hookTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cutover_hook_invocations_total",
			Help: "Lifecycle hook invocations, by kind of hook target and outcome (ok: a reply, error: none).",
		}, []string{"kind", "outcome"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cutover_leader",
			Help: "1 while this server leads the control plane (runs the controller, invokes hooks); 0 while it follows another server on the same store.",
		}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		lbm.Prometheus(),
		deploymentsCollector{st: st},
		o.apiSeconds, o.hookSeconds, o.hookTotal, o.leader,
	} {
		if err := o.reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	o.handler = promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		Timeout:  30 * time.Second,
	})
	return o, nil
}

// ServeHTTP serves the Prometheus metrics.
func (o *observability) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	o.handler.ServeHTTP(w, r)
}

// instrumentAPI observes the time next takes to answer each request of
// api ("ecs" or "elbv2"), by operation and status code.
func (o *observability) instrumentAPI(api string, next http.Handler) http.Handler {
	operation := ecsOperation
	if api != "ecs" {
		operation = elbOperation
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		op := operation(r)
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		o.apiSeconds.WithLabelValues(api, op, strconv.Itoa(sw.code)).Observe(time.Since(start).Seconds())
	})
}

// unknownOperation labels requests that name no operation of the API's
// model, so that made-up names cannot grow the label set.
const unknownOperation = "unknown"

// ecsOperation is the operation of an ECS request, from X-Amz-Target.
func ecsOperation(r *http.Request) string {
	name := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), ecsapi.TargetPrefix)
	if _, err := awsmodel.ECS().Operation(name); err != nil {
		return unknownOperation
	}
	return name
}

// maxFormPeek is how much of an ELBv2 request body is read to find its
// Action: the API's own limit.
const maxFormPeek = 1 << 20

// elbOperation is the Action of an ELBv2 request, from the query string
// or the form body. The body is put back for the API to read.
func elbOperation(r *http.Request) string {
	name := r.URL.Query().Get("Action")
	if r.Body != nil && r.Body != http.NoBody {
		head, err := io.ReadAll(io.LimitReader(r.Body, maxFormPeek))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		if v, perr := url.ParseQuery(string(head)); err == nil && perr == nil && v.Get("Action") != "" {
			name = v.Get("Action")
		}
	}
	if _, err := awsmodel.ELBv2().Operation(name); err != nil {
		return unknownOperation
	}
	return name
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

// WriteHeader records code and sends it.
func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write sends p, with status 200 if no status was sent yet.
func (w *statusWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hookCommands names the functions that the configuration file's
// commands stand for.
func hookCommands(file *config.Config) map[string]bool {
	names := make(map[string]bool, len(file.Hooks.Commands))
	for name := range file.Hooks.Commands {
		names[name] = true
	}
	return names
}

// instrumentHooks returns next observed: the time of each invocation by
// kind of target, and the invocations by kind and outcome. commands
// names the functions that run a configured command.
func (o *observability) instrumentHooks(next controller.HookInvoker, commands map[string]bool) controller.HookInvoker {
	return &observedInvoker{next: next, commands: commands, seconds: o.hookSeconds, total: o.hookTotal}
}

// observedInvoker is a controller.HookInvoker that observes another.
type observedInvoker struct {
	next     controller.HookInvoker
	commands map[string]bool
	seconds  *prometheus.HistogramVec
	total    *prometheus.CounterVec
}

var _ controller.HookInvoker = (*observedInvoker)(nil)

// Invoke invokes the hook with the wrapped invoker and observes it.
func (i *observedInvoker) Invoke(ctx context.Context, target string, event []byte) ([]byte, error) {
	kind := hookKind(target, i.commands)
	start := time.Now()
	reply, err := i.next.Invoke(ctx, target, event)
	i.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	i.total.WithLabelValues(kind, outcome).Inc()
	return reply, err
}

// hookKind tells how a hook target is invoked, as package hooks does: an
// http(s) URL, a Lambda function that a configured command stands for,
// or a Lambda function.
func hookKind(target string, commands map[string]bool) string {
	t := strings.ToLower(target)
	if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return "url"
	}
	// arn:P:lambda:R:A:function:NAME[:Q], A:function:NAME[:Q] or NAME[:Q]
	parts := strings.Split(target, ":")
	name := parts[0]
	for j, p := range parts[:len(parts)-1] {
		if p == "function" {
			name = parts[j+1]
			break
		}
	}
	if commands[name] {
		return "command"
	}
	return "lambda"
}

// deploymentStatuses are the service deployment statuses that
// cutover_deployments always reports, zero or not.
var deploymentStatuses = []ecs.ServiceDeploymentStatus{
	ecs.ServiceDeploymentStatusPending, ecs.ServiceDeploymentStatusInProgress,
	ecs.ServiceDeploymentStatusSuccessful, ecs.ServiceDeploymentStatusStopRequested,
	ecs.ServiceDeploymentStatusStopped, ecs.ServiceDeploymentStatusRollbackRequested,
	ecs.ServiceDeploymentStatusRollbackInProgress, ecs.ServiceDeploymentStatusRollbackSuccessful,
	ecs.ServiceDeploymentStatusRollbackFailed,
}

var descDeployments = prometheus.NewDesc("cutover_deployments",
	"Service deployments in the store, by status.", []string{"status"}, nil)

// deploymentsCollector counts the stored service deployments by status
// at each scrape, scanning every service's deployments.
type deploymentsCollector struct{ st store.Store }

// Describe implements prometheus.Collector.
func (deploymentsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descDeployments }

// Collect implements prometheus.Collector.
func (c deploymentsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts := map[ecs.ServiceDeploymentStatus]int{}
	err := state.View(ctx, c.st, func(tx state.Tx) error {
		return tx.Services("", "", func(s *state.Service) error {
			return tx.Deployments(state.LastPart(s.ClusterArn), s.ServiceName, func(d *deploy.Deployment) error {
				counts[d.Status]++
				return nil
			})
		})
	})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descDeployments, fmt.Errorf("count deployments: %w", err))
		return
	}
	for _, s := range deploymentStatuses {
		ch <- prometheus.MustNewConstMetric(descDeployments, prometheus.GaugeValue, float64(counts[s]), string(s))
		delete(counts, s)
	}
	for s, n := range counts { // a status this list does not know yet
		ch <- prometheus.MustNewConstMetric(descDeployments, prometheus.GaugeValue, float64(n), string(s))
	}
}
