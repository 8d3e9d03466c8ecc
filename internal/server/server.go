// Package server wires the control plane together: the store, the
// runtime drivers, the controller and the HTTP endpoint that serves the
// ECS API and health checks.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/elbapi"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Config is the server's configuration.
type Config struct {
	// Listen is the address of the API endpoint.
	Listen string
	// DataDir holds the embedded store (unless Store names another) and
	// the runtime's task directories.
	DataDir string
	// Store, optional, names the store: a postgres:// (or
	// postgresql://) URL for PostgreSQL; empty for the embedded store,
	// state.db in DataDir (see openStore).
	Store     string
	Region    string
	AccountID string
	// Runtime names the runtime of the tasks of clusters without the
	// cutover:runtime tag: "process" (the default), "docker" or
	// "kubernetes".
	Runtime string
	// AdvertiseURL, optional, is the URL the other servers that share the
	// store forward writes to while this one leads; default: the
	// listening address, with the host's name for an unspecified IP.
	AdvertiseURL string
	// Kubernetes configures the kubernetes runtime.
	Kubernetes KubernetesConfig
	// LBAddress is the address the load balancer binds listener ports on.
	LBAddress string
	// ConfigFile, optional, names the configuration file (command hooks,
	// signing secret, webhooks).
	ConfigFile string
	// LambdaEndpoint, optional, is the Lambda Invoke API that Lambda
	// hooks are invoked at; without it, AWS Lambda itself.
	LambdaEndpoint string
	// AccessKeys, optional, names the access keys file (package
	// accesskeys): it names the API's callers in the audit trail, and
	// the dashboard requires a sign-in with one of the keys.
	AccessKeys string
	// Insecure allows serving without access keys on an address other
	// than loopback, where anyone who reaches it could drive deployments.
	Insecure bool
	Logger   *slog.Logger
	// Ready, when set, is called with the bound address once the API
	// serves.
	Ready func(addr net.Addr)
}

// Run serves until ctx is done, then shuts down gracefully. Tasks keep
// running; the next Run on the same data directory adopts them.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	file, err := loadConfig(cfg.ConfigFile)
	if err != nil {
		return err
	}
	keys, err := loadAccessKeys(cfg.AccessKeys)
	if err != nil {
		return err
	}
	tlsc, err := newServerTLS(file, log.With("component", "tls"))
	if err != nil {
		return err
	}
	if err := checkExposure(cfg.Listen, keys != nil, cfg.Insecure); err != nil {
		return err
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := tlsc.checkListeners(ctx, st, log.With("component", "tls")); err != nil {
		return err
	}
	secret, err := signingSecret(ctx, file, st, cfg.DataDir)
	if err != nil {
		return err
	}
	invoker, err := newInvoker(cfg, file, secret, log.With("component", "hooks"))
	if err != nil {
		return err
	}
	id, err := serverID(cfg.DataDir)
	if err != nil {
		return err
	}
	instance, err := controlPlaneInstance(ctx, st, cfg.DataDir)
	if err != nil {
		return err
	}
	drivers, err := newDrivers(cfg, instance)
	if err != nil {
		return err
	}
	defer closeDrivers(drivers)
	arns := state.ARNs{Region: cfg.Region, Account: cfg.AccountID}
	lbs, err := newLBSupervisor(filepath.Join(cfg.DataDir, "lb"), st, log.With("component", "lb-supervisor"))
	if err != nil {
		return err
	}
	// mstore holds the CloudWatch-style metrics: the load balancer's
	// (AWS/ApplicationELB), collected by obs.
	mstore := metrics.NewStore(metrics.DefaultResolution, metrics.DefaultRetention)
	obs, err := newObservability(st, lbs.client, mstore, log.With("component", "metrics"))
	if err != nil {
		return err
	}
	ctlCfg := controller.Config{
		Store: st, Drivers: drivers, DefaultRuntime: runtimeName(cfg), ARNs: arns, Logger: log.With("component", "controller"),
		DataPlane: lbs.client, LBAddress: cfg.LBAddress, Certificates: tlsc.files, Hooks: obs.instrumentHooks(invoker, hookCommands(file)),
	}
	ctl := new(termController) // the APIs tell the leader's controller of changes
	auth := authenticator(keys)
	api := ecsapi.New(ecsapi.Config{
		Store: st, ARNs: arns, Changed: ctl.Wake, ServiceChanged: ctl.ServiceChanged, Authenticate: auth, TargetHealth: lbs.client.Health, LBAddress: cfg.LBAddress,
		Logger: log.With("component", "ecsapi"),
	})
	elb := elbapi.New(elbapi.Config{
		Store: st, ARNs: arns, LBAddress: cfg.LBAddress, Changed: ctl.Wake, Health: lbs.client.Health,
		Certificates: tlsc.arns, Authenticate: auth, Logger: log.With("component", "elbapi"),
	})
	cw, err := newCloudWatch(st, arns, mstore, file, ctl.Wake, auth, log)
	if err != nil {
		return err
	}

	// The operator-facing endpoints: the approval flows, whose
	// notifications follow the event log, and the dashboard.
	apr, err := newApprovals(cfg, file, api, st, secret, log.With("component", "approvals"))
	if err != nil {
		return err
	}
	evs, err := newEvents(st, file, secret, log.With("component", "events"), apr.sinks...)
	if err != nil {
		return err
	}
	routes := append(apr.routes, dashboardRoute(api, evs, mstore, keys, cfg.Insecure, log.With("component", "dashboard")))

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	h := cw.route(handler(api, elb, evs, st, drivers, obs, routes, auth))

	// What only the leader runs: it decides and writes. A server alone
	// on its store always leads; servers that share one elect a leader,
	// and the others follow (leader.go).
	lead := func(ctx context.Context) {
		c := controller.New(ctlCfg)
		ctl.p.Store(c)
		obs.leader.Set(1)
		defer func() {
			ctl.p.Store(nil)
			obs.leader.Set(0)
		}()
		var wg sync.WaitGroup
		wg.Go(func() { c.Run(ctx) })
		wg.Go(func() { evs.Deliver(ctx) })
		wg.Go(func() { cw.run(ctx) })
		wg.Wait()
	}
	var ld *leadership
	if el, ok := st.(elector); ok {
		ld = newLeadership(el, id, advertiseURL(cfg, ln.Addr(), tlsc.scheme()), log.With("component", "leadership"))
		h = ld.route(h)
	}
	srv := newAPIServer(h, log)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if ld == nil {
		wg.Go(func() { lead(ctx) })
	} else {
		wg.Go(func() {
			ld.run(ctx, lead, func(ctx context.Context) {
				controller.Mirror(ctx, controller.MirrorConfig{
					Store: st, DataPlane: lbs.client, LBAddress: cfg.LBAddress, Certificates: tlsc.files,
					Logger: log.With("component", "mirror"),
				})
			})
		})
	}
	wg.Go(func() { lbs.run(ctx) })
	wg.Go(func() { evs.Run(ctx) })
	wg.Go(func() { obs.lb.Run(ctx) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- tlsc.serve(srv, ln) }()
	log.Info("cutover serving", "listen", ln.Addr().String(), "scheme", tlsc.scheme(), "data_dir", cfg.DataDir, "runtime", runtimeName(cfg))
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr())
	}

	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		log.Info("shutting down")
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if serr := srv.Shutdown(sctx); serr != nil {
			err = fmt.Errorf("shut down: %w", serr)
		}
	}
	cancel()
	wg.Wait()
	return err
}

// maxAPIHeaderBytes bounds the request line and headers of an API
// request; past it the API answers 431 (net/http's default is 1 MB).
const maxAPIHeaderBytes = 64 << 10

// newAPIServer returns the API endpoint's HTTP server for h, with the
// limits that keep a slow or oversized client from holding it.
func newAPIServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    maxAPIHeaderBytes,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// handler routes the endpoint: the operator routes by path prefix, the
// ECS API by X-Amz-Target, the ELBv2 API by SigV4 scope or form content
// type (both observed by obs),
// /healthz, task logs, the event stream, the Prometheus metrics, and a
// JSON 404 for anything else.
func handler(api http.Handler, elb *elbapi.API, evs http.Handler, st store.Store, drivers map[string]runtime.Driver, obs *observability, routes []route, auth audit.Authenticator) http.Handler {
	logs, evs := signed(auth, logsHandler(st, drivers)), signed(auth, evs)
	ecsH, elbH := obs.instrumentAPI("ecs", api), obs.instrumentAPI("elbv2", elb)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := routeOf(routes, r.URL.Path); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		switch {
		case ecsapi.Handles(r):
			ecsH.ServeHTTP(w, r)
		case elbapi.Handles(r):
			elbH.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, LogsPath):
			logs.ServeHTTP(w, r)
		case r.URL.Path == EventsPath:
			evs.ServeHTTP(w, r)
		case r.URL.Path == MetricsPath:
			obs.ServeHTTP(w, r)
		case r.URL.Path == "/healthz":
			if err := st.View(r.Context(), func(store.Tx) error { return nil }); err != nil {
				http.Error(w, "store unavailable", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ok\n"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"__type":"UnknownOperationException","message":"No such operation or path."}`))
		}
	})
}
