package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/accesskeys"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/metrics"
)

// Path is where the dashboard is served; every path under it is the
// dashboard's.
const Path = "/ui/"

// apiPath prefixes the dashboard's own endpoints.
const apiPath = Path + "api/"

// Caller runs an API operation as the actor ctx carries (package audit):
// target is an X-Amz-Target value, body the operation's JSON request. Its
// errors are mapped to answers by ecsapi.ErrorResponse.
type Caller interface {
	Call(ctx context.Context, target string, body []byte) (any, error)
}

var _ Caller = (*ecsapi.API)(nil)

// Config configures the dashboard.
type Config struct {
	// API runs the operations the dashboard shows and acts with.
	API Caller
	// Events streams the event log (events.Events.ServeHTTP); nil serves
	// no stream.
	Events http.Handler
	// Metrics holds the load balancer's metrics; nil shows none.
	Metrics *metrics.Store
	// Keys, when set, are the access keys users sign in with; nil means
	// no sign-in.
	Keys *accesskeys.Keys
	// AnyHost lets a dashboard without Keys answer requests addressed to
	// any host. By default it answers only requests addressed to a
	// loopback name or address: a web page whose domain was made to
	// resolve to 127.0.0.1 (DNS rebinding) would otherwise count as the
	// dashboard's own origin.
	AnyHost bool
	// SessionTTL is how long a sign-in lasts (default 12 hours).
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultSessionTTL is how long a sign-in lasts by default.
const DefaultSessionTTL = 12 * time.Hour

// Dashboard serves the dashboard under Path. Create it with New.
type Dashboard struct {
	api     Caller
	events  http.Handler
	metrics *metrics.Store
	keys    *accesskeys.Keys
	anyHost bool
	now     func() time.Time
	log     *slog.Logger

	origin   *http.CrossOriginProtection
	csrf     csrfKey
	sessions *sessions
	limiter  *limiter
	assets   *assets
}

// New returns the dashboard. It panics only when the embedded assets are
// broken, which the package's tests rule out.
func New(cfg Config) *Dashboard {
	d := &Dashboard{
		api: cfg.API, events: cfg.Events, metrics: cfg.Metrics, keys: cfg.Keys, anyHost: cfg.AnyHost, now: cfg.Now, log: cfg.Logger,
		origin: http.NewCrossOriginProtection(),
		csrf:   newCSRFKey(),
		assets: mustAssets(),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	ttl := cfg.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	d.sessions = newSessions(ttl)
	d.limiter = newLimiter(signInFailures, signInWindow)
	return d
}

// ServeHTTP implements http.Handler for the paths under Path and Path
// without its trailing slash, which redirects to Path.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")

	p := r.URL.Path
	if p == strings.TrimSuffix(Path, "/") {
		target := Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	if d.keys == nil && !d.anyHost && !loopbackHost(r.Host) {
		writeError(w, http.StatusForbidden, "AccessDeniedException",
			"Without access keys the dashboard answers only at a loopback address such as http://127.0.0.1 or http://localhost.")
		return
	}
	name, ok := strings.CutPrefix(p, apiPath)
	if !ok {
		d.assets.serve(w, r, strings.TrimPrefix(p, Path))
		return
	}
	h.Set("Cache-Control", "no-store")
	switch name {
	case "session":
		d.serveSession(w, r)
	case "signin":
		d.serveSignIn(w, r)
	case "signout":
		d.serveSignOut(w, r)
	case "call":
		d.serveCall(w, r)
	case "events":
		d.serveEvents(w, r)
	case "metrics":
		d.serveMetrics(w, r)
	default:
		writeError(w, http.StatusNotFound, "UnknownOperationException", "No such dashboard endpoint.")
	}
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or localhost.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// requireMethod answers 405 and returns false unless r's method is m.
func requireMethod(w http.ResponseWriter, r *http.Request, m string) bool {
	if r.Method == m || (m == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", m)
	writeError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "This endpoint takes "+m+" requests.")
	return false
}

// writeError writes an AWS-shaped error.
func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]string{"__type": typ, "message": msg})
}

// writeJSON writes v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, status, "application/json", v)
}

// writeJSONType writes v as JSON of the given content type.
func writeJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"ServerException","message":"The server could not encode its response."}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}
