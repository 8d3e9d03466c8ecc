package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/cwapi"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/prometheus"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// cloudWatch is the CloudWatch side of the server: the API (alarms and
// metric reads) and the loop that evaluates alarms on the metrics store
// and, for promql: expressions, on the configured Prometheus server.
type cloudWatch struct {
	api    *cwapi.API
	alarms *alarms.Evaluator
}

// newCloudWatch builds the CloudWatch API, whose callers auth checks,
// and the alarm evaluator on mstore. wake is called when an alarm changes (created, updated,
// deleted, or its state changed), for the controller to look at the
// deployments that watch it.
func newCloudWatch(st store.Store, arns state.ARNs, mstore *metrics.Store, file *config.Config, wake func(), auth audit.Authenticator, log *slog.Logger) (*cloudWatch, error) {
	var promql alarms.PromQL
	if u := file.Prometheus.URL; u != "" {
		c, err := prometheus.New(u, nil)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		promql = c
	}
	ev := alarms.New(alarms.Config{
		Store: st, Metrics: mstore, PromQL: promql, Changed: wake, Logger: log.With("component", "alarms"),
	})
	api := cwapi.New(cwapi.Config{
		Store: st, ARNs: arns, Metrics: mstore, PromQL: promql, Authenticate: auth, Logger: log.With("component", "cwapi"),
		Changed: func() {
			ev.Wake()
			wake()
		},
	})
	return &cloudWatch{api: api, alarms: ev}, nil
}

// run evaluates alarms until ctx is done.
func (c *cloudWatch) run(ctx context.Context) { c.alarms.Run(ctx) }

// route sends CloudWatch requests (cwapi.Handles) to the API and the
// others to next. It goes in front of the other routes: an unsigned
// query request is CloudWatch's by its Version, which the ELBv2 route,
// taking any unsigned form POST, does not look at.
func (c *cloudWatch) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cwapi.Handles(r) {
			c.api.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
