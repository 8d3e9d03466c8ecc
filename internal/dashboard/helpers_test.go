package dashboard

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/accesskeys"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/events"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
	"github.com/cutover/cutover/internal/testclock"
)

// Test access keys: ID, secret, name.
const (
	testKeyID  = "AKIADASHBOARDTEST01"
	testSecret = "dashboard-secret-0123456789"
	testName   = "alice"
)

// fixture is a dashboard over a real API, event log and metrics store.
type fixture struct {
	d      *Dashboard
	st     store.Store
	evs    *events.Events
	ms     *metrics.Store
	clock  *testclock.Clock
	cancel context.CancelFunc
}

// newFixture returns a dashboard over a fresh bolt store; withKeys gives
// the server the test access key.
func newFixture(t *testing.T, withKeys bool) *fixture {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api := ecsapi.New(ecsapi.Config{Store: st, ARNs: state.ARNs{Region: "us-east-1", Account: "000000000000"}})
	evs, err := events.New(events.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { evs.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var keys *accesskeys.Keys
	if withKeys {
		f := filepath.Join(t.TempDir(), "keys")
		if err := os.WriteFile(f, []byte(testKeyID+" "+testSecret+" "+testName+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if keys, err = accesskeys.Load(f); err != nil {
			t.Fatal(err)
		}
	}
	c := testclock.New(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	ms := metrics.NewStore(10*time.Second, 3*time.Hour)
	d := New(Config{API: api, Events: evs, Metrics: ms, Keys: keys, Now: c.Now})
	return &fixture{d: d, st: st, evs: evs, ms: ms, clock: c, cancel: cancel}
}

// browser is a browser of the dashboard: it keeps its cookies and CSRF
// token, and sends same-origin requests unless told otherwise.
type browser struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]*http.Cookie
	token   string
}

func newBrowser(t *testing.T, h http.Handler) *browser {
	return &browser{t: t, h: h, cookies: map[string]*http.Cookie{}}
}

// response is an answer, decoded when it is JSON.
type response struct {
	code   int
	header http.Header
	body   string
	json   map[string]any
}

// do sends a request; mutate may change it before it is sent.
func (b *browser) do(method, path, body string, mutate func(*http.Request)) response {
	b.t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, strings.NewReader(body))
	if method == http.MethodPost {
		r.Header.Set("Origin", "http://127.0.0.1:8080")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set(csrfHeader, b.token)
	}
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	if mutate != nil {
		mutate(r)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	resp := response{code: w.Code, header: w.Header(), body: w.Body.String()}
	if strings.Contains(w.Header().Get("Content-Type"), "json") {
		if err := json.Unmarshal(w.Body.Bytes(), &resp.json); err != nil {
			b.t.Fatalf("%s %s: answer %q is not JSON: %v", method, path, w.Body, err)
		}
	}
	return resp
}

// session loads the session and keeps its CSRF token.
func (b *browser) session() response {
	b.t.Helper()
	resp := b.do(http.MethodGet, "/ui/api/session", "", nil)
	if resp.code != http.StatusOK {
		b.t.Fatalf("GET /ui/api/session: %d %s", resp.code, resp.body)
	}
	b.token, _ = resp.json["csrfToken"].(string)
	return resp
}

// signIn signs in with a key and keeps the session's token.
func (b *browser) signIn(id, secret string) response {
	b.t.Helper()
	body, _ := json.Marshal(map[string]string{"accessKeyId": id, "secretAccessKey": secret})
	resp := b.do(http.MethodPost, "/ui/api/signin", string(body), nil)
	if resp.code == http.StatusOK {
		b.token, _ = resp.json["csrfToken"].(string)
	}
	return resp
}

// call runs an operation through the dashboard.
func (b *browser) call(op, body string) response {
	b.t.Helper()
	return b.do(http.MethodPost, "/ui/api/call", body, func(r *http.Request) {
		r.Header.Set("X-Amz-Target", op)
	})
}

// wantError checks an AWS-shaped error answer.
func wantError(t *testing.T, what string, resp response, code int, typ string) {
	t.Helper()
	if resp.code != code || resp.json["__type"] != typ || resp.json["message"] == "" {
		t.Errorf("%s: got %d %s, want %d with __type %s and a message", what, resp.code, resp.body, code, typ)
	}
}

const (
	ecsTarget     = ecsapi.TargetPrefix
	cutoverTarget = "CutoverV1."
)

// createService registers a task definition and creates a cluster and
// a service through the dashboard, which records the service's creation
// in the audit trail.
func createService(t *testing.T, b *browser) {
	t.Helper()
	steps := []struct{ op, body string }{
		{"CreateCluster", `{"clusterName":"demo"}`},
		{"RegisterTaskDefinition", `{"family":"web","containerDefinitions":[{"name":"web","image":"example/web:v1","memory":64}]}`},
		{"CreateService", `{"cluster":"demo","serviceName":"web","taskDefinition":"web:1","desiredCount":1}`},
	}
	for _, s := range steps {
		if resp := b.call(ecsTarget+s.op, s.body); resp.code != http.StatusOK {
			t.Fatalf("%s: %d %s", s.op, resp.code, resp.body)
		}
	}
}

// httptestTLS is the TLS state of a request that came over TLS.
func httptestTLS() *tls.ConnectionState { return &tls.ConnectionState{HandshakeComplete: true} }
