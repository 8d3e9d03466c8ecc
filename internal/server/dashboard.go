package server

import (
	"log/slog"
	"net/http"

	"github.com/cutover/cutover/internal/accesskeys"
	"github.com/cutover/cutover/internal/dashboard"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/metrics"
)

// dashboardRoute serves the web dashboard at dashboard.Path: it acts
// through api, streams evs, charts mstore's load balancer metrics, and
// requires a sign-in with one of keys when there are keys. Without keys
// it answers only at loopback addresses, unless the server is insecure.
func dashboardRoute(api *ecsapi.API, evs http.Handler, mstore *metrics.Store, keys *accesskeys.Keys, insecure bool, log *slog.Logger) route {
	return route{prefix: dashboard.Path, h: dashboard.New(dashboard.Config{
		API: api, Events: evs, Metrics: mstore, Keys: keys, AnyHost: insecure, Logger: log,
	})}
}
