package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/signature"
)

// slackWebAPI stands in for Slack's Web API: it records the chat.*
// calls (their form fields) and answers as Slack does.
type slackWebAPI struct {
	mu    sync.Mutex
	calls []url.Values // with "method" added
}

func (f *slackWebAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	form.Set("method", filepath.Base(r.URL.Path))
	f.mu.Lock()
	f.calls = append(f.calls, form)
	n := len(f.calls)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":"C0DEPLOYS","ts":"1700000000.%06d","message_ts":"1700000000.999999"}`, n)
}

// of returns the calls of a method whose blocks or text mention what.
func (f *slackWebAPI) of(method, what string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, c := range f.calls {
		if c.Get("method") == method && (strings.Contains(c.Get("blocks"), what) || strings.Contains(c.Get("text"), what)) {
			out = append(out, c)
		}
	}
	return out
}

// approvalReceiver is a link webhook: it checks the signature of each
// request and records the messages.
type approvalReceiver struct {
	secret []byte
	mu     sync.Mutex
	msgs   []map[string]string
	bad    []string
}

func (k *approvalReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := signature.Verify(r.Header, k.secret, body, time.Now()); err != nil {
		k.bad = append(k.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		k.bad = append(k.bad, err.Error())
	}
	k.msgs = append(k.msgs, m)
}

// message returns the message about deployment arn, if any.
func (k *approvalReceiver) message(t *testing.T, arn string) map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.bad) > 0 {
		t.Fatalf("the link webhook got bad requests: %v", k.bad)
	}
	for _, m := range k.msgs {
		if m["serviceDeploymentArn"] == arn {
			return m
		}
	}
	return nil
}

// slackClick sends Slack's signed interaction request for a click by
// user on a button of the message; sig, when set, replaces the
// signature. It returns the status.
func slackClick(t *testing.T, s *server, secret, user, actionID, value, sig string) int {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "username": strings.ToLower(user[2:]), "team_id": "T0E2E"},
		"container": map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C0DEPLOYS"},
		"channel":   map[string]any{"id": "C0DEPLOYS"},
		"actions":   []any{map[string]any{"action_id": actionID, "block_id": "cutover_hook", "type": "button", "value": value}},
	})
	body := "payload=" + url.QueryEscape(string(payload))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if sig == "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte("v0:" + ts + ":" + body))
		sig = "v0=" + hex.EncodeToString(m.Sum(nil))
	}
	req, _ := http.NewRequest(http.MethodPost, s.url()+"/slack/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// cutoverOp calls one of cutover's own operations with a plain HTTP POST.
func cutoverOp(t *testing.T, s *server, op string, req any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(req)
	r, _ := http.NewRequest(http.MethodPost, s.url()+"/", bytes.NewReader(b))
	r.Header.Set("X-Amz-Target", "CutoverV1."+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s %v %v", op, resp.Status, out, err)
	}
	return out
}

// pauseHook returns the ID and status of the deployment's PAUSE hook at
// stage, if it has one.
func pauseHook(t *testing.T, s *server, arn, stage string) (id, status string) {
	t.Helper()
	d := cutoverOp(t, s, "DescribeServiceDeploymentDetails", map[string]any{"serviceDeploymentArn": arn})
	hooks, _ := path(d, "details", "hooks").([]any)
	for _, h := range hooks {
		if path(h, "targetType") == "PAUSE" && path(h, "stage") == stage {
			id, _ = path(h, "hookId").(string)
			status, _ = path(h, "status").(string)
		}
	}
	return id, status
}

// deployUpdate deploys a task definition with a deployment configuration
// and returns the new service deployment's ARN.
func deployUpdate(t *testing.T, s *server, td, config string) string {
	t.Helper()
	svc := s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", td,
		"--deployment-configuration", config)
	arn, _ := path(svc, "service", "currentServiceDeployment").(string)
	if arn == "" {
		t.Fatalf("update-service to %s started no service deployment: %v", td, svc)
	}
	return arn
}

// deploymentStatus returns a deployment's status and stage, read with a
// plain HTTP POST (quicker to poll than the aws CLI).
func deploymentStatus(t *testing.T, s *server, arn string) (status, stage string) {
	t.Helper()
	d := cutoverOp(t, s, "DescribeServiceDeploymentDetails", map[string]any{"serviceDeploymentArn": arn})
	status, _ = path(d, "details", "serviceDeployment", "status").(string)
	stage, _ = path(d, "details", "serviceDeployment", "lifecycleStage").(string)
	return status, stage
}

// auditActor returns the actor of the last ContinueServiceDeployment of
// the deployment's audit trail.
func auditActor(t *testing.T, s *server, arn string) map[string]any {
	t.Helper()
	recs := cutoverOp(t, s, "ListAuditRecords", map[string]any{"cluster": "demo", "service": "web", "serviceDeploymentArn": arn})
	var actor map[string]any
	for _, r := range recs["auditRecords"].([]any) {
		if path(r, "action") == "ContinueServiceDeployment" {
			actor, _ = path(r, "actor").(map[string]any)
		}
	}
	return actor
}

// page sends a request to an approval link and returns the status and
// page.
func page(t *testing.T, method, link string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, link, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestApprovalsInSlackAndThroughLinks deploys BLUE_GREEN with pause
// hooks and answers them from Slack (a local stand-in for its Web API,
// and interaction requests signed as Slack signs them) and through a
// signed link sent to a webhook: refused clicks and forged requests do
// nothing, an approver's click moves the deployment on, opening a link
// does nothing, using it does, once, and the Slack message and the audit
// trail say who decided.
func TestApprovalsInSlackAndThroughLinks(t *testing.T) {
	const slackSecret, linkSecret = "e2e-slack-signing-secret", "e2e-link-secret"
	slackAPI := &slackWebAPI{}
	slackSrv := httptest.NewServer(slackAPI)
	t.Cleanup(slackSrv.Close)
	links := &approvalReceiver{secret: []byte(linkSecret)}
	linkSrv := httptest.NewServer(links)
	t.Cleanup(linkSrv.Close)
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	err := os.WriteFile(cfg, fmt.Appendf(nil, `approvals:
  slack:
    botToken: xoxb-e2e
    signingSecret: %s
    channel: C0DEPLOYS
    approvers: [U0ALICE]
    apiURL: %s/api/
  links:
    - name: chat
      url: %s
      secret: %s
`, slackSecret, slackSrv.URL, linkSrv.URL, linkSecret), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--config", cfg)
	_, test, _, _ := blueGreenService(t, s)

	// v2 pauses after the test traffic shift: Slack gets the message.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	v2 := deployUpdate(t, s, "web:2", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0,"lifecycleHooks":[
		{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":30}}]}`)
	var posted url.Values
	eventually(t, 60*time.Second, "the Slack message of v2's pause", func() bool {
		if p := slackAPI.of("chat.postMessage", v2); len(p) > 0 {
			posted = p[0]
			return true
		}
		return false
	})
	hook2, status := pauseHook(t, s, v2, "POST_TEST_TRAFFIC_SHIFT")
	if status != "AWAITING_ACTION" {
		t.Fatalf("v2's pause hook is %q once its message is posted", status)
	}
	if n := len(slackAPI.of("chat.postMessage", v2)); n != 1 {
		t.Errorf("%d messages posted about v2, want 1", n)
	}
	for _, want := range []string{"web", "demo", "POST_TEST_TRAFFIC_SHIFT", "web:1 → web:2", strings.TrimSuffix(test, "/"), hook2,
		`"action_id":"cutover_approve"`, `"action_id":"cutover_rollback"`, "Expires"} {
		if !strings.Contains(posted.Get("blocks"), want) {
			t.Errorf("the Slack message does not show %q: %s", want, posted.Get("blocks"))
		}
	}
	if posted.Get("channel") != "C0DEPLOYS" || posted.Get("token") != "xoxb-e2e" {
		t.Errorf("posted to %q with token %q", posted.Get("channel"), posted.Get("token"))
	}
	var blocks []map[string]any
	json.Unmarshal([]byte(posted.Get("blocks")), &blocks)
	var value string
	for _, b := range blocks {
		if b["type"] == "actions" {
			value, _ = path(b, "elements", 0, "value").(string)
		}
	}
	if !strings.Contains(value, v2) || !strings.Contains(value, hook2) {
		t.Fatalf("the Approve button's value %q does not name %s and %s", value, v2, hook2)
	}

	// Someone not on the list is told so; a forged request is refused.
	if code := slackClick(t, s, slackSecret, "U0MALLORY", "cutover_approve", value, ""); code != http.StatusOK {
		t.Fatalf("an outsider's click: %d", code)
	}
	eventually(t, 10*time.Second, "the outsider told they are not allowed", func() bool {
		e := slackAPI.of("chat.postEphemeral", "not allowed")
		return len(e) == 1 && e[0].Get("user") == "U0MALLORY"
	})
	if code := slackClick(t, s, slackSecret, "U0ALICE", "cutover_approve", value, "v0="+strings.Repeat("0", 64)); code != http.StatusUnauthorized {
		t.Fatalf("a forged click: %d, want 401", code)
	}
	time.Sleep(time.Second)
	if _, status := pauseHook(t, s, v2, "POST_TEST_TRAFFIC_SHIFT"); status != "AWAITING_ACTION" {
		t.Fatalf("after the refused clicks v2's pause is %q, want still AWAITING_ACTION", status)
	}

	// An approver's click moves v2 on, as them.
	if code := slackClick(t, s, slackSecret, "U0ALICE", "cutover_approve", value, ""); code != http.StatusOK {
		t.Fatalf("the approver's click: %d", code)
	}
	eventually(t, 60*time.Second, "v2 SUCCESSFUL", func() bool {
		st, _ := deploymentStatus(t, s, v2)
		if st != "SUCCESSFUL" && ended(st) {
			t.Fatalf("v2 ended %s", st)
		}
		return st == "SUCCESSFUL"
	})
	if a := auditActor(t, s, v2); a["kind"] != "slack" || a["id"] != "U0ALICE" || a["name"] != "alice" {
		t.Errorf("v2 was continued by %v, want the Slack user U0ALICE (alice)", a)
	}
	eventually(t, 10*time.Second, "v2's message updated with who approved", func() bool {
		for _, u := range slackAPI.of("chat.update", v2) {
			if strings.Contains(u.Get("text"), "Approved by alice (slack U0ALICE)") && !strings.Contains(u.Get("blocks"), "cutover_approve") {
				return true
			}
		}
		return false
	})

	// The link sent for v2's pause is dead: the hook was answered.
	m2 := links.message(t, v2)
	if m2 == nil {
		t.Fatalf("the link webhook got no message about v2")
	}
	if code, body := page(t, http.MethodGet, m2["approveUrl"]); code != http.StatusConflict || !strings.Contains(body, "Approved by alice") {
		t.Errorf("v2's approve link after Slack approved: %d\n%s", code, body)
	}

	// v3 pauses before it scales up; the link approves it.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v3", ""))
	v3 := deployUpdate(t, s, "web:3", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0,"lifecycleHooks":[
		{"targetType":"PAUSE","lifecycleStages":["PRE_SCALE_UP"],"timeoutConfiguration":{"timeoutInMinutes":30}}]}`)
	var m3 map[string]string
	eventually(t, 30*time.Second, "the link message of v3's pause", func() bool { m3 = links.message(t, v3); return m3 != nil })
	hook3, _ := pauseHook(t, s, v3, "PRE_SCALE_UP")
	if m3["hookId"] != hook3 || m3["service"] != "web" || m3["cluster"] != "demo" || m3["stage"] != "PRE_SCALE_UP" ||
		!strings.HasPrefix(m3["approveUrl"], s.url()+"/cutover/v1/approvals/") || !strings.Contains(m3["text"], m3["rollbackUrl"]) {
		t.Errorf("link message %v", m3)
	}
	for range 2 {
		if code, body := page(t, http.MethodGet, m3["approveUrl"]); code != http.StatusOK || !strings.Contains(body, `<form method="post">`) {
			t.Fatalf("GET the approve link: %d\n%s", code, body)
		}
	}
	time.Sleep(time.Second)
	if _, status := pauseHook(t, s, v3, "PRE_SCALE_UP"); status != "AWAITING_ACTION" {
		t.Fatalf("after opening the link v3's pause is %q, want still AWAITING_ACTION", status)
	}
	if code, body := page(t, http.MethodPost, m3["approveUrl"]); code != http.StatusOK || !strings.Contains(body, "Approved by link chat") {
		t.Fatalf("POST the approve link: %d\n%s", code, body)
	}
	if _, status := pauseHook(t, s, v3, "PRE_SCALE_UP"); status != "SUCCEEDED" {
		t.Fatalf("after the POST v3's pause is %q, want SUCCEEDED", status)
	}
	if a := auditActor(t, s, v3); a["kind"] != "link" || a["id"] != "chat" {
		t.Errorf("v3 was continued by %v, want the link chat", a)
	}
	for _, u := range []string{m3["approveUrl"], m3["rollbackUrl"]} {
		if code, body := page(t, http.MethodPost, u); code != http.StatusGone || !strings.Contains(body, "used already") {
			t.Errorf("POST %s a second time: %d\n%s", u, code, body)
		}
	}
	eventually(t, 10*time.Second, "v3 moving on from PRE_SCALE_UP", func() bool {
		st, stage := deploymentStatus(t, s, v3)
		return st == "IN_PROGRESS" && stage != "PRE_SCALE_UP"
	})
	// Slack's message about v3 says the link approved it.
	eventually(t, 10*time.Second, "v3's Slack message updated", func() bool {
		for _, u := range slackAPI.of("chat.update", v3) {
			if strings.Contains(u.Get("text"), "Approved by link chat") {
				return true
			}
		}
		return false
	})
}
