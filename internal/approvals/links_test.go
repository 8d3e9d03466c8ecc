package approvals

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/events"
	"github.com/cutover/cutover/internal/signature"
	"github.com/cutover/cutover/internal/state"
)

const publicURL = "https://cutover.example.com"

// receiver is a link webhook: it checks signatures and records messages.
// It fails the first `fail` requests with a 500.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	fail   int
	msgs   []LinkMessage
	ids    []string
	bad    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := signature.Verify(r.Header, rc.secret, body, time.Now()); err != nil {
		rc.bad = append(rc.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	var m LinkMessage
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		rc.bad = append(rc.bad, err.Error())
	}
	rc.msgs = append(rc.msgs, m)
	rc.ids = append(rc.ids, r.Header.Get(events.EventIDHeader))
}

func (rc *receiver) received() ([]LinkMessage, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		panic("bad requests: " + strings.Join(rc.bad, "; "))
	}
	return append([]LinkMessage(nil), rc.msgs...), append([]string(nil), rc.ids...)
}

// linkSetup is an env with two links: "teams" (its own secret, a 10
// minute ttl) and "chat" (the default secret, no ttl), on a clock the
// test moves.
func linkSetup(t *testing.T) (e *env, a *Approvals, teams, chat *receiver, now *time.Time) {
	e = newEnv(t)
	teams, chat = &receiver{secret: []byte("teams-secret")}, &receiver{secret: []byte("server-secret")}
	ts, cs := httptest.NewServer(teams), httptest.NewServer(chat)
	t.Cleanup(ts.Close)
	t.Cleanup(cs.Close)
	clock := time.Now()
	a, err := New(Config{API: e.api, Store: e.st, Logger: testLogger(t), PublicURL: publicURL, Now: func() time.Time { return clock },
		Links: []Link{
			{Name: "teams", URL: ts.URL + "/hook", Secret: teams.secret, TTL: 10 * time.Minute},
			{Name: "chat", URL: cs.URL, Secret: chat.secret},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return e, a, teams, chat, &clock
}

// open sends a request to a link's URL and returns the status and page.
func open(a *Approvals, method, link string) (int, string) {
	r := httptest.NewRequest(method, strings.TrimPrefix(link, publicURL), nil)
	r.RemoteAddr = "192.0.2.7:51000"
	w := httptest.NewRecorder()
	a.Routes()[0].Handler.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestLinkMessages(t *testing.T) {
	e, a, teams, chat, now := linkSetup(t)
	expires := now.Add(time.Hour)
	arn := e.pause(hookA, expires)
	sinks := a.Sinks()
	if len(sinks) != 2 || sinks[0].Name != "approvals-link-teams" || sinks[1].Name != "approvals-link-chat" {
		t.Fatalf("sinks %+v", sinks)
	}
	teams.fail = 1
	if err := e.tryDeliver(sinks[0].Deliver, state.DetailHookStateChange); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("delivery to a failing webhook: %v, want its 500", err)
	}
	e.deliver(sinks[0].Deliver, state.DetailHookStateChange) // the retry
	e.seen = 0
	e.deliver(sinks[0].Deliver, state.DetailHookStateChange) // at least once: the same events again
	e.seen = 0
	e.deliver(sinks[1].Deliver, state.DetailHookStateChange)

	msgs, ids := teams.received()
	if len(msgs) != 1 || ids[0] == "" {
		t.Fatalf("teams received %d messages (event IDs %v), want 1", len(msgs), ids)
	}
	m := msgs[0]
	if m.Service != "web" || m.Cluster != "demo" || m.Stage != "PRE_SCALE_UP" || m.HookID != hookA || m.ServiceDeploymentArn != arn || m.TestURL != "" {
		t.Errorf("message %+v", m)
	}
	if want := now.Add(10 * time.Minute).Truncate(time.Second); !m.ExpiresAt.Equal(want) {
		t.Errorf("teams' links expire at %s, want %s (the ttl)", m.ExpiresAt, want)
	}
	for _, u := range []string{m.ApproveURL, m.RollbackURL} {
		if !strings.HasPrefix(u, publicURL+LinksPath) || !strings.Contains(m.Text, u) {
			t.Errorf("URL %s does not start with %s or is not in the text %q", u, publicURL+LinksPath, m.Text)
		}
	}
	if !strings.HasPrefix(m.Text, "web (cluster demo) is waiting for approval at PRE_SCALE_UP: web:1 → web:2.") {
		t.Errorf("text %q", m.Text)
	}
	if cm, _ := chat.received(); len(cm) != 1 || !cm[0].ExpiresAt.Equal(expires.Truncate(time.Second)) || cm[0].ApproveURL == m.ApproveURL {
		t.Errorf("chat received %+v, want one message whose links expire with the hook at %s", cm, expires)
	}
}

func TestLinkUse(t *testing.T) {
	e, a, teams, chat, now := linkSetup(t)
	arn := e.pause(hookA, now.Add(time.Hour))
	for _, s := range a.Sinks() {
		e.seen = 0
		e.deliver(s.Deliver, state.DetailHookStateChange)
	}
	tm, _ := teams.received()
	cm, _ := chat.received()
	approve, rollback := tm[0].ApproveURL, tm[0].RollbackURL

	// Opening a link, or a preview fetching it, does nothing.
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		if code, _ := open(a, method, approve); code != http.StatusOK {
			t.Fatalf("%s approve: %d", method, code)
		}
	}
	code, page := open(a, http.MethodGet, approve)
	for _, want := range []string{"Approve web?", `<form method="post">`, "web:1 → web:2", "PRE_SCALE_UP", "demo"} {
		if !strings.Contains(page, want) {
			t.Errorf("the approve page (%d) does not show %q:\n%s", code, want, page)
		}
	}
	if _, page := open(a, http.MethodGet, rollback); !strings.Contains(page, "Roll back web?") || !strings.Contains(page, `class="danger"`) {
		t.Errorf("the roll back page:\n%s", page)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction {
		t.Fatalf("opening the links made the hook %s", h.Status)
	}

	// Forged links are refused.
	tok := strings.TrimPrefix(approve, publicURL+LinksPath)
	for name, u := range map[string]string{
		"changed":   publicURL + LinksPath + tok[:20] + strings.ToUpper(tok[20:21]) + strings.ToLower(tok[21:]),
		"truncated": approve[:len(approve)-3],
		"garbage":   publicURL + LinksPath + "hello",
		"nested":    approve + "/x",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			if code, page := open(a, method, u); code != http.StatusForbidden || !strings.Contains(page, "not valid") {
				t.Errorf("%s link, %s: %d\n%s", name, method, code, page)
			}
		}
	}

	// The POST acts, as the link.
	code, page = open(a, http.MethodPost, approve)
	if code != http.StatusOK || !strings.Contains(page, "Approved by link teams at ") {
		t.Fatalf("POST approve: %d\n%s", code, page)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("after the POST the hook is %s", h.Status)
	}
	d := e.details(arn)
	last := d.Audit[len(d.Audit)-1]
	if want := (audit.Actor{Kind: audit.KindLink, ID: "teams", Address: "192.0.2.7"}); last.Actor != want || last.Detail != "CONTINUE" {
		t.Errorf("audit record %+v, want CONTINUE by %+v", last, want)
	}

	// Each link works once, and using one kills the other.
	for _, u := range []string{approve, rollback} {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			if code, page := open(a, method, u); code != http.StatusGone || !strings.Contains(page, "used already") {
				t.Errorf("%s %s after use: %d\n%s", method, u, code, page)
			}
		}
	}
	// Another link's URLs have their own nonce, but the hook is resolved.
	if code, page := open(a, http.MethodGet, cm[0].RollbackURL); code != http.StatusConflict || !strings.Contains(page, "Approved by link teams") {
		t.Errorf("chat's roll back link after teams approved: %d\n%s", code, page)
	}
	if code, page := open(a, http.MethodPost, cm[0].RollbackURL); code != http.StatusConflict || !strings.Contains(page, "not awaiting an action") {
		t.Errorf("POST chat's roll back link after teams approved: %d\n%s", code, page)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("the late roll back made the hook %s", h.Status)
	}
}

func TestLinkExpires(t *testing.T) {
	e, a, teams, _, now := linkSetup(t)
	arn := e.pause(hookA, now.Add(time.Hour))
	e.deliver(a.Sinks()[0].Deliver, state.DetailHookStateChange)
	tm, _ := teams.received()
	*now = now.Add(10 * time.Minute)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if code, page := open(a, method, tm[0].RollbackURL); code != http.StatusGone || !strings.Contains(page, "expired") {
			t.Errorf("%s after the ttl: %d\n%s", method, code, page)
		}
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction {
		t.Fatalf("an expired link made the hook %s", h.Status)
	}
}
