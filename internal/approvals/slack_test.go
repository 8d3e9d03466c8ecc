package approvals

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

const (
	slackSecret = "8f14e45fceea167a5a36dedd4bea2543"
	approver    = "U0ALICE01"
	outsider    = "U0MALLORY"
	hookA       = "ecs-pause-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

// slackSetup is an env with the Slack flow on a fake Slack.
func slackSetup(t *testing.T) (*env, *Approvals, *fakeSlack) {
	e := newEnv(t)
	f := newFakeSlack(t)
	a, err := New(Config{API: e.api, Store: e.st, Logger: testLogger(t), Slack: &Slack{
		BotToken: "xoxb-test", SigningSecret: slackSecret, Channel: "#deploys",
		Approvers: []string{approver}, APIURL: f.srv.URL + "/api/",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return e, a, f
}

// deliverSlack delivers the new events to the Slack sink.
func (e *env) deliverSlack(a *Approvals) {
	e.t.Helper()
	e.deliver(a.slack.deliver, state.DetailHookStateChange, state.DetailDeploymentStateChange)
}

// signSlack is Slack's v0 signature of body sent at ts.
func signSlack(secret string, ts int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// click is the interaction payload of a click on a button of the message.
func click(user, actionID, value string) string {
	b, _ := json.Marshal(map[string]any{
		"type": "block_actions",
		"user": map[string]any{"id": user, "username": strings.ToLower(user[2:]), "name": strings.ToLower(user[2:]), "team_id": "T0TEAM"},
		"team": map[string]any{"id": "T0TEAM", "domain": "example"},
		"container": map[string]any{
			"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0DEPLOYS", "is_ephemeral": false,
		},
		"channel":      map[string]any{"id": "C0DEPLOYS", "name": "deploys"},
		"response_url": "https://hooks.slack.invalid/actions/T0TEAM/1/x",
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": blockActions, "type": "button", "value": value,
			"text": map[string]any{"type": "plain_text", "text": "Approve"}, "action_ts": "1700000002.000300",
		}},
	})
	return "payload=" + url.QueryEscape(string(b))
}

// interact sends a signed interaction request with body, as of ts.
func interact(a *Approvals, body string, ts time.Time, sig string) int {
	r := httptest.NewRequest(http.MethodPost, SlackPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	if sig == "" {
		sig = signSlack(slackSecret, ts.Unix(), body)
	}
	r.Header.Set("X-Slack-Signature", sig)
	w := httptest.NewRecorder()
	a.Routes()[0].Handler.ServeHTTP(w, r)
	return w.Code
}

// buttons returns the action IDs and values of the message's buttons.
func buttons(t *testing.T, c slackCall) map[string]string {
	out := map[string]string{}
	for _, b := range c.blocks(t) {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			el := el.(map[string]any)
			out[el["action_id"].(string)] = el["value"].(string)
		}
	}
	return out
}

func TestSlackPostsOnceAndApproves(t *testing.T) {
	e, a, f := slackSetup(t)
	arn := e.pause(hookA, time.Now().Add(time.Hour))
	e.deliverSlack(a)
	e.seen = 0
	e.deliverSlack(a) // at least once: the same events again
	posts := f.of("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("%d messages posted, want 1", len(posts))
	}
	post := posts[0]
	if post.Form.Get("channel") != "#deploys" || post.Form.Get("token") != "xoxb-test" {
		t.Errorf("posted to %q with token %q", post.Form.Get("channel"), post.Form.Get("token"))
	}
	blocks := post.text(t)
	for _, want := range []string{"web", "demo", "PRE_SCALE_UP", "web:1 → web:2", arn, hookA, "Approve", "Roll back"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("the message does not show %q: %s", want, blocks)
		}
	}
	if text := post.Form.Get("text"); !strings.Contains(text, "web (cluster demo) is waiting for approval at PRE_SCALE_UP") {
		t.Errorf("notification text %q", text)
	}
	b := buttons(t, post)
	var v buttonValue
	if err := json.Unmarshal([]byte(b[actionApprove]), &v); err != nil || v.Deployment != arn || v.Hook != hookA || b[actionRollback] != b[actionApprove] {
		t.Fatalf("buttons %v do not name the hook", b)
	}

	// Someone who is not an approver is told so, privately; nothing happens.
	if code := interact(a, click(outsider, actionApprove, b[actionApprove]), time.Now(), ""); code != http.StatusOK {
		t.Fatalf("outsider's click: %d", code)
	}
	eph := f.of("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("user") != outsider || !strings.Contains(eph[0].Form.Get("text"), "not allowed") {
		t.Fatalf("ephemeral replies %+v, want one telling %s they are not allowed", eph, outsider)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction {
		t.Fatalf("after the outsider's click the hook is %s", h.Status)
	}
	if n := len(f.of("chat.update")); n != 0 {
		t.Fatalf("the message was updated %d times after a refused click", n)
	}

	// An approver's click continues the hook as them.
	if code := interact(a, click(approver, actionApprove, b[actionApprove]), time.Now(), ""); code != http.StatusOK {
		t.Fatalf("approver's click: %d", code)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("after the approver's click the hook is %s", h.Status)
	}
	d := e.details(arn)
	last := d.Audit[len(d.Audit)-1]
	if want := (audit.Actor{Kind: audit.KindSlack, ID: approver, Name: "alice01"}); last.Action != "ContinueServiceDeployment" ||
		last.Actor != want || last.HookID != hookA || last.Detail != "CONTINUE" {
		t.Errorf("audit record %+v, want CONTINUE by %+v", last, want)
	}
	updates := f.of("chat.update")
	if len(updates) != 1 {
		t.Fatalf("%d updates, want 1", len(updates))
	}
	u := updates[0]
	if u.Form.Get("channel") != "C0DEPLOYS" || u.Form.Get("ts") != "1700000000.000100" {
		t.Errorf("updated message %s/%s, want the posted one", u.Form.Get("channel"), u.Form.Get("ts"))
	}
	if blocks := u.text(t); !strings.Contains(blocks, "*Approved* by <@"+approver+">") {
		t.Errorf("the update does not name the approver: %s", blocks)
	}
	if len(buttons(t, u)) != 0 {
		t.Errorf("the updated message still has buttons")
	}

	// The hook's own event changes nothing more: the message is final.
	e.deliverSlack(a)
	if n := len(f.of("chat.update")); n != 1 {
		t.Errorf("%d updates after the hook's event, want still 1", n)
	}

	// A second click is refused by the API: the user is told, and the
	// message notes it.
	interact(a, click(approver, actionRollback, b[actionRollback]), time.Now(), "")
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("a late Roll back changed the hook to %s", h.Status)
	}
	eph = f.of("chat.postEphemeral")
	if len(eph) != 2 || !strings.Contains(eph[1].Form.Get("text"), "Could not roll back") ||
		!strings.Contains(eph[1].Form.Get("text"), "not awaiting an action") {
		t.Errorf("reply to the late click: %+v", eph)
	}
	updates = f.of("chat.update")
	if len(updates) != 2 || !strings.Contains(updates[1].text(t), "<@"+approver+"> could not roll back: The lifecycle hook") {
		t.Errorf("the message does not note the refused click: %+v", updates)
	}
}

func TestSlackInteractionSignature(t *testing.T) {
	e, a, f := slackSetup(t)
	arn := e.pause(hookA, time.Now().Add(time.Hour))
	e.deliverSlack(a)
	value := buttons(t, f.of("chat.postMessage")[0])[actionApprove]
	body := click(approver, actionApprove, value)
	now := time.Now()
	cases := []struct {
		name string
		body string
		ts   time.Time
		sig  string
	}{
		{"forged signature", body, now, "v0=" + strings.Repeat("ab", 32)},
		{"signed with another secret", body, now, signSlack("not-the-secret", now.Unix(), body)},
		{"body changed after signing", click(approver, actionRollback, value), now, signSlack(slackSecret, now.Unix(), body)},
		{"timestamp changed after signing", body, now.Add(-time.Second), signSlack(slackSecret, now.Unix(), body)},
		{"stale timestamp", body, now.Add(-6 * time.Minute), ""},
		{"timestamp from the future", body, now.Add(6 * time.Minute), ""},
		{"not v0", body, now, "v1=" + strings.TrimPrefix(signSlack(slackSecret, now.Unix(), body), "v0=")},
	}
	for _, c := range cases {
		if code := interact(a, c.body, c.ts, c.sig); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", c.name, code)
		}
	}
	r := httptest.NewRequest(http.MethodPost, SlackPath, strings.NewReader(body))
	w := httptest.NewRecorder()
	a.Routes()[0].Handler.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no signature headers: %d, want 401", w.Code)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction {
		t.Fatalf("a refused request resolved the hook: %s", h.Status)
	}
	if n := len(f.of("chat.update")) + len(f.of("chat.postEphemeral")); n != 0 {
		t.Fatalf("refused requests made %d Slack calls", n)
	}
	// The same request, properly signed, goes through.
	if code := interact(a, body, now, ""); code != http.StatusOK {
		t.Fatalf("signed request: %d", code)
	}
	if h := e.hook(arn, hookA); h.Status != ecs.DeploymentLifecycleHookStatusSucceeded {
		t.Fatalf("the signed request left the hook %s", h.Status)
	}
}

func TestSlackResolvedElsewhere(t *testing.T) {
	e, a, f := slackSetup(t)
	arn := e.pause(hookA, time.Now().Add(time.Hour))
	e.deliverSlack(a)
	// The CLI rolls it back.
	e.call("ContinueServiceDeployment", `{"serviceDeploymentArn":"`+arn+`","hookId":"`+hookA+`","action":"ROLLBACK"}`)
	e.deliverSlack(a)
	updates := f.of("chat.update")
	if len(updates) != 1 {
		t.Fatalf("%d updates, want 1", len(updates))
	}
	blocks := updates[0].text(t)
	if !strings.Contains(blocks, "*Rolled back* by ci (accessKey AKIDTEST) at ") || len(buttons(t, updates[0])) != 0 {
		t.Errorf("the update does not say who rolled back, or keeps its buttons: %s", blocks)
	}
}

func TestSlackDeploymentEndedWhileWaiting(t *testing.T) {
	e, a, f := slackSetup(t)
	arn := e.pause(hookA, time.Now().Add(time.Hour))
	e.deliverSlack(a)
	err := state.Update(t.Context(), e.st, func(tx state.Tx) error {
		d, err := tx.Deployment(arn)
		if err != nil {
			return err
		}
		d.Status, d.StatusReason, d.StoppedAt = ecs.ServiceDeploymentStatusStopped, "replaced by a newer deployment", time.Now()
		return tx.PutDeployment(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.deliverSlack(a)
	updates := f.of("chat.update")
	if len(updates) != 1 || !strings.Contains(updates[0].text(t), "*No longer waiting*: the deployment is STOPPED (replaced by a newer deployment).") || len(buttons(t, updates[0])) != 0 {
		t.Fatalf("updates %+v, want one saying the deployment no longer waits", updates)
	}
}

func TestSlackSkipsHooksResolvedBeforePosting(t *testing.T) {
	e, a, f := slackSetup(t)
	arn := e.pause(hookA, time.Now().Add(time.Hour))
	e.call("ContinueServiceDeployment", `{"serviceDeploymentArn":"`+arn+`","hookId":"`+hookA+`","action":"CONTINUE"}`)
	e.deliverSlack(a)
	if n := len(f.calls); n != 0 {
		t.Fatalf("%d Slack calls for a hook resolved before its event was delivered: %+v", n, f.calls)
	}
}
