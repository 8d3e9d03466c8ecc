package approvals

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

// The tests run the real API on the real embedded store; only Slack's
// Web API and the link webhooks are local HTTP servers.

var testARNs = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// testLogger logs to the test.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

// env is a store, the API on it, and what the tests seed.
type env struct {
	t   *testing.T
	st  store.Store
	api *ecsapi.API
	// seen is the last event of the log already delivered.
	seen uint64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, api: ecsapi.New(ecsapi.Config{Store: st, ARNs: testARNs})}
	e.call("CreateCluster", `{"clusterName":"demo"}`)
	for _, v := range []string{"v1", "v2"} {
		e.call("RegisterTaskDefinition", `{"family":"web","containerDefinitions":[{"name":"web","image":"web:`+v+`"}]}`)
	}
	e.call("CreateService", `{"cluster":"demo","serviceName":"web","taskDefinition":"web:1","desiredCount":1}`)
	return e
}

// call runs an ECS operation as an access key and returns its response
// as JSON.
func (e *env) call(op, body string) map[string]any {
	e.t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Kind: audit.KindAccessKey, ID: "AKIDTEST", Name: "ci"})
	out, err := e.api.Call(ctx, ecsapi.TargetPrefix+op, []byte(body))
	if err != nil {
		e.t.Fatalf("%s: %v", op, err)
	}
	b, _ := json.Marshal(out)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// pause starts a deployment of web:2 and makes it wait at a PAUSE hook
// at PRE_SCALE_UP, as the engine would: it returns the deployment's ARN
// and the hook's ID.
func (e *env) pause(hookID string, expires time.Time) (arn string) {
	e.t.Helper()
	svc := e.call("UpdateService", `{"cluster":"demo","service":"web","taskDefinition":"web:2"}`)
	arn, _ = svc["service"].(map[string]any)["currentServiceDeployment"].(string)
	err := state.Update(context.Background(), e.st, func(tx state.Tx) error {
		d, err := tx.Deployment(arn)
		if err != nil {
			return err
		}
		now := time.Now()
		d.Status, d.Stage, d.StageStarted, d.StartedAt = ecs.ServiceDeploymentStatusInProgress, ecs.ServiceDeploymentLifecycleStagePreScaleUp, now, now
		d.Sources = []deploy.RevisionCounts{{Arn: testARNs.ServiceRevision("demo", "web", 1), Requested: 1, Running: 1}}
		d.Hooks = append(d.Hooks, deploy.HookRun{
			ID: hookID, Stage: ecs.DeploymentLifecycleHookStagePreScaleUp, TargetType: ecs.DeploymentLifecycleHookTargetTypePause,
			Status: ecs.DeploymentLifecycleHookStatusAwaitingAction, StartedAt: now, ExpiresAt: expires,
			TimeoutAction: ecs.DeploymentLifecycleHookActionRollback,
		})
		d.UpdatedAt = now
		return tx.PutDeployment(d)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return arn
}

// hook returns the deployment's hook run hookID, as the API shows it.
func (e *env) hook(arn, hookID string) cutoverapi.Hook {
	e.t.Helper()
	d := e.details(arn)
	for _, h := range d.Hooks {
		if h.HookID == hookID {
			return h
		}
	}
	e.t.Fatalf("no hook %s in %s", hookID, arn)
	return cutoverapi.Hook{}
}

// details describes a deployment through the API.
func (e *env) details(arn string) *cutoverapi.DeploymentDetails {
	e.t.Helper()
	out, err := e.api.Call(context.Background(), targetDetails, []byte(`{"serviceDeploymentArn":"`+arn+`"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	return &out.(*cutoverapi.DescribeServiceDeploymentDetailsResponse).Details
}

// deliver hands the events of the log not delivered yet to deliver, as
// the events package does for a sink of those detail types.
func (e *env) deliver(deliver func(context.Context, uint64, []byte) error, detailTypes ...string) {
	e.t.Helper()
	if err := e.tryDeliver(deliver, detailTypes...); err != nil {
		e.t.Fatal(err)
	}
}

// tryDeliver is deliver that stops at the first event deliver fails,
// which the next call delivers again.
func (e *env) tryDeliver(deliver func(context.Context, uint64, []byte) error, detailTypes ...string) error {
	e.t.Helper()
	type ev struct {
		seq uint64
		env []byte
	}
	var evs []ev
	err := state.View(context.Background(), e.st, func(tx state.Tx) error {
		return tx.Events(e.seen, func(seq uint64, env []byte) error {
			evs = append(evs, ev{seq, append([]byte(nil), env...)})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, x := range evs {
		var head state.Event
		json.Unmarshal(x.env, &head)
		if slices.Contains(detailTypes, head.DetailType) {
			if err := deliver(context.Background(), x.seq, x.env); err != nil {
				return fmt.Errorf("deliver event %d: %w", x.seq, err)
			}
		}
		e.seen = x.seq
	}
	return nil
}

// slackCall is a request to the fake Slack Web API.
type slackCall struct {
	Method string
	Form   url.Values
}

// fakeSlack stands in for Slack's Web API: it records chat.postMessage,
// chat.update and chat.postEphemeral and answers as Slack does.
type fakeSlack struct {
	mu    sync.Mutex
	calls []slackCall
	srv   *httptest.Server
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		method := filepath.Base(r.URL.Path)
		f.mu.Lock()
		f.calls = append(f.calls, slackCall{Method: method, Form: form})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "chat.postMessage", "chat.update":
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C0DEPLOYS", "ts": "1700000000.000100"})
		case "chat.postEphemeral":
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "message_ts": "1700000001.000200"})
		default:
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "unknown_method"})
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// of returns the calls of a method so far.
func (f *fakeSlack) of(method string) []slackCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []slackCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// blocks decodes the blocks of a chat call.
func (c slackCall) blocks(t *testing.T) []map[string]any {
	t.Helper()
	var b []map[string]any
	if err := json.Unmarshal([]byte(c.Form.Get("blocks")), &b); err != nil {
		t.Fatalf("blocks of %s: %v: %s", c.Method, err, c.Form.Get("blocks"))
	}
	return b
}

// text returns every text of a chat call's blocks, one a line, and the
// buttons' labels.
func (c slackCall) text(t *testing.T) string {
	t.Helper()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, b := range c.blocks(t) {
		walk(b)
	}
	return strings.Join(out, "\n")
}
