package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/audit"
)

// This file is who uses the dashboard: sessions when the server has
// access keys, the per-browser cookie otherwise, and the CSRF checks of
// both.

const (
	// sessionCookie holds the session ID of a signed-in browser.
	sessionCookie = "cutover_session"
	// browserCookie holds a random value per browser; the CSRF token of
	// a browser without a session is derived from it.
	browserCookie = "cutover_csrf"
	// csrfHeader carries the CSRF token of every state-changing request.
	csrfHeader = "X-CSRF-Token"
	// localName names the user of a dashboard without access keys.
	localName = "local"
)

// csrfKey derives the CSRF token of a browser cookie: an HMAC, so that
// the server keeps nothing per browser and a cookie planted by someone
// else is no token. It is random per process: a restart invalidates the
// tokens, and the page fetches a new one.
type csrfKey []byte

func newCSRFKey() csrfKey {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// token returns the CSRF token of a browser cookie value.
func (k csrfKey) token(cookie string) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte("cutover dashboard csrf\x00"))
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokensEqual compares a token sent with the one expected in constant
// time; an empty expected token never matches.
func tokensEqual(sent, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// session is a signed-in browser.
type session struct {
	keyID, name string
	csrf        string
	expires     time.Time
}

// sessions are the signed-in browsers, in memory, by the SHA-256 of the
// session ID (so that the ID itself is never a map key to time).
type sessions struct {
	ttl  time.Duration
	mu   sync.Mutex
	byID map[string]session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byID: map[string]session{}}
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create starts a session for a key and returns its ID; it drops the
// sessions that expired.
func (s *sessions) create(keyID, name string, now time.Time) (string, session) {
	id := rand.Text() + rand.Text()
	sess := session{keyID: keyID, name: name, csrf: rand.Text() + rand.Text(), expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if !now.Before(v.expires) {
			delete(s.byID, k)
		}
	}
	s.byID[sessionKey(id)] = sess
	return id, sess
}

// get returns the live session of an ID.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	if id == "" {
		return session{}, false
	}
	k := sessionKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[k]
	if ok && !now.Before(sess.expires) {
		delete(s.byID, k)
		return session{}, false
	}
	return sess, ok
}

// remove ends a session.
func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sessionKey(id))
}

// user is who makes a request, and the CSRF token their state-changing
// requests must carry.
type user struct {
	actor audit.Actor
	csrf  string
	// sessionID is set when the user signed in.
	sessionID string
	expires   time.Time
}

// identify returns the user of r: with access keys, the owner of its
// live session (false without one); without, the local user of the
// browser, whose CSRF token is empty until the browser has its cookie.
func (d *Dashboard) identify(r *http.Request) (user, bool) {
	addr := clientAddress(r)
	if d.keys == nil {
		u := user{actor: audit.Actor{Kind: audit.KindDashboard, Name: localName, Address: addr}}
		if c, err := r.Cookie(browserCookie); err == nil && c.Value != "" {
			u.csrf = d.csrf.token(c.Value)
		}
		return u, true
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return user{}, false
	}
	sess, ok := d.sessions.get(c.Value, d.now())
	if !ok {
		return user{}, false
	}
	return user{
		actor:     audit.Actor{Kind: audit.KindDashboard, ID: sess.keyID, Name: sess.name, Address: addr},
		csrf:      sess.csrf,
		sessionID: c.Value,
		expires:   sess.expires,
	}, true
}

// requireUser returns the user of r, or answers 401 when the dashboard
// requires a sign-in and r has none.
func (d *Dashboard) requireUser(w http.ResponseWriter, r *http.Request) (user, bool) {
	u, ok := d.identify(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "MissingAuthenticationTokenException", "Sign in to use the dashboard.")
	}
	return u, ok
}

// checkWrite refuses, with 403, a state-changing request that does not
// come from the dashboard's own origin or does not carry the CSRF token
// want.
func (d *Dashboard) checkWrite(w http.ResponseWriter, r *http.Request, want string) bool {
	if err := d.origin.Check(r); err != nil {
		d.log.Info("dashboard refused a cross-origin request", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
			"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "remote", r.RemoteAddr)
		writeError(w, http.StatusForbidden, "AccessDeniedException", "Cross-origin requests to the dashboard are refused.")
		return false
	}
	if !tokensEqual(r.Header.Get(csrfHeader), want) {
		writeError(w, http.StatusForbidden, "InvalidCsrfTokenException",
			"The request does not carry the dashboard's CSRF token in the "+csrfHeader+" header; reload the page.")
		return false
	}
	return true
}

// browserToken returns the browser cookie's CSRF token, setting the
// cookie first when r has none.
func (d *Dashboard) browserToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(browserCookie); err == nil && c.Value != "" {
		return d.csrf.token(c.Value)
	}
	v := rand.Text() + rand.Text()
	http.SetCookie(w, d.cookie(r, browserCookie, v, time.Time{}))
	return d.csrf.token(v)
}

// cookie returns a dashboard cookie: HttpOnly, SameSite=Strict, scoped
// to Path, Secure when r came over TLS. A zero expiry makes a browser
// session cookie; one in the past deletes the cookie.
func (d *Dashboard) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: Path,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}
	if !expires.IsZero() {
		c.Expires = expires
		if !expires.After(d.now()) {
			c.MaxAge = -1
		}
	}
	return c
}

// clientAddress is the host part of r's remote address.
func clientAddress(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
