package dashboard

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/audit"
)

// This file serves GET /ui/api/session, POST /ui/api/signin and
// POST /ui/api/signout.

// Sign-in limits: an address that failed signInFailures sign-ins within
// signInWindow is refused until the window ends.
const (
	signInFailures = 5
	signInWindow   = time.Minute
	maxSignInBody  = 16 << 10
)

// sessionInfo is what the page learns about its user.
type sessionInfo struct {
	// SignInRequired is true when the server has access keys.
	SignInRequired bool `json:"signInRequired"`
	// SignedIn is true when the page may use the dashboard: signed in,
	// or no sign-in required.
	SignedIn bool      `json:"signedIn"`
	User     *userInfo `json:"user,omitempty"`
	// CSRFToken goes in the X-CSRF-Token header of every POST.
	CSRFToken string     `json:"csrfToken"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

type userInfo struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
}

// info describes u, signed in (or local).
func (d *Dashboard) info(u user) sessionInfo {
	s := sessionInfo{
		SignInRequired: d.keys != nil, SignedIn: true, CSRFToken: u.csrf,
		User: &userInfo{Kind: u.actor.Kind, ID: u.actor.ID, Name: u.actor.Name},
	}
	if !u.expires.IsZero() {
		s.ExpiresAt = &u.expires
	}
	return s
}

func (d *Dashboard) serveSession(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodGet) {
		return
	}
	browser := d.browserToken(w, r)
	u, ok := d.identify(r)
	if !ok {
		writeJSON(w, http.StatusOK, sessionInfo{SignInRequired: true, CSRFToken: browser})
		return
	}
	if d.keys == nil {
		u.csrf = browser // the cookie may have been set just now
	}
	writeJSON(w, http.StatusOK, d.info(u))
}

type signInRequest struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

func (d *Dashboard) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	if d.keys == nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "This server has no access keys: the dashboard needs no sign-in.")
		return
	}
	var browser string
	if c, err := r.Cookie(browserCookie); err == nil && c.Value != "" {
		browser = d.csrf.token(c.Value)
	}
	if !d.checkWrite(w, r, browser) {
		return
	}
	addr, now := clientAddress(r), d.now()
	if wait, blocked := d.limiter.blocked(addr, now); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "ThrottlingException",
			"Too many failed sign-ins from this address; try again in "+strconv.Itoa(int(math.Ceil(wait.Seconds())))+" seconds.")
		return
	}
	var req signInRequest
	if err := decodeBody(w, r, maxSignInBody, &req); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "Could not read the sign-in: "+err.Error())
		return
	}
	if req.AccessKeyID == "" || req.SecretAccessKey == "" {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "Give an access key ID and its secret access key.")
		return
	}
	key, ok := d.keys.Check(req.AccessKeyID, req.SecretAccessKey)
	if !ok {
		d.limiter.fail(addr, now)
		d.log.Info("dashboard sign-in refused", "access_key", req.AccessKeyID, "remote", addr)
		writeError(w, http.StatusUnauthorized, "UnrecognizedClientException", "The access key ID or the secret access key is not valid.")
		return
	}
	d.limiter.reset(addr)
	if c, err := r.Cookie(sessionCookie); err == nil {
		d.sessions.remove(c.Value) // a sign-in always starts a new session
	}
	id, sess := d.sessions.create(key.ID, key.Name, now)
	http.SetCookie(w, d.cookie(r, sessionCookie, id, sess.expires))
	d.log.Info("dashboard sign-in", "access_key", key.ID, "name", key.Name, "remote", addr)
	writeJSON(w, http.StatusOK, d.info(user{
		actor: audit.Actor{Kind: audit.KindDashboard, ID: key.ID, Name: key.Name, Address: addr},
		csrf:  sess.csrf, sessionID: id, expires: sess.expires,
	}))
}

func (d *Dashboard) serveSignOut(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	if d.keys == nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "This server has no access keys: there is no sign-in to end.")
		return
	}
	u, signedIn := d.identify(r)
	want := u.csrf
	if !signedIn {
		// Signing out twice is no error, but it is still a request
		// that must come from the dashboard.
		if c, err := r.Cookie(browserCookie); err == nil && c.Value != "" {
			want = d.csrf.token(c.Value)
		}
	}
	if !d.checkWrite(w, r, want) {
		return
	}
	if signedIn {
		d.sessions.remove(u.sessionID)
		d.log.Info("dashboard sign-out", "access_key", u.actor.ID, "remote", u.actor.Address)
	}
	http.SetCookie(w, d.cookie(r, sessionCookie, "", time.Unix(1, 0)))
	writeJSON(w, http.StatusOK, sessionInfo{SignInRequired: true, CSRFToken: d.browserToken(w, r)})
}

// decodeBody decodes r's JSON body, of at most limit bytes, into v.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errors.New("the body is too large")
		}
		return errors.New("the body could not be read")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("the body is not a JSON object of the expected fields")
	}
	return nil
}

// limiter counts failed sign-ins per address.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string]failures
}

type failures struct {
	n     int
	since time.Time
}

// maxTracked bounds how many addresses the limiter remembers; past it,
// the ones whose window ended are forgotten.
const maxTracked = 10000

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string]failures{}}
}

// blocked reports whether addr may not try now, and for how long.
func (l *limiter) blocked(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[addr]
	if !ok {
		return 0, false
	}
	end := f.since.Add(l.window)
	if !now.Before(end) {
		delete(l.fails, addr)
		return 0, false
	}
	return end.Sub(now), f.n >= l.max
}

// fail counts a failed sign-in of addr.
func (l *limiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.fails[addr]
	if !ok || !now.Before(f.since.Add(l.window)) {
		if len(l.fails) >= maxTracked {
			for a, g := range l.fails {
				if !now.Before(g.since.Add(l.window)) {
					delete(l.fails, a)
				}
			}
		}
		f = failures{since: now}
	}
	f.n++
	l.fails[addr] = f
}

// reset forgets addr's failures, after it signed in.
func (l *limiter) reset(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, addr)
}
