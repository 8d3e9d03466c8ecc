package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/hooks"
	"github.com/cutover/cutover/internal/state"
)

// hookServer is a real HTTP hook endpoint whose replies the test scripts
// per lifecycle stage: the n-th call at a stage gets replies[stage][n]
// (the last one repeats).
type hookServer struct {
	*httptest.Server
	mu      sync.Mutex
	replies map[string][]string
	events  []map[string]any
}

func newHookServer(t *testing.T, replies map[string][]string) *hookServer {
	hs := &hookServer{replies: replies}
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hs.mu.Lock()
		defer hs.mu.Unlock()
		stage := ev["lifecycleStage"].(string)
		n := 0
		for _, e := range hs.events {
			if e["lifecycleStage"] == stage {
				n++
			}
		}
		hs.events = append(hs.events, ev)
		rs := hs.replies[stage]
		w.Write([]byte(rs[min(n, len(rs)-1)]))
	}))
	t.Cleanup(hs.Close)
	return hs
}

func (hs *hookServer) calls() []map[string]any {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]map[string]any(nil), hs.events...)
}

// withHooks gives the harness a controller that invokes hooks for real.
func (h *harness) withHooks() {
	h.withHookConfig(hooks.Config{Timeout: 5 * time.Second})
}

// withHookConfig gives the harness a controller that invokes hooks for
// real with cfg, in us-east-1 and signed.
func (h *harness) withHookConfig(cfg hooks.Config) {
	cfg.Region, cfg.SigningSecret = "us-east-1", []byte("k")
	inv, err := hooks.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.ctl = controller.New(controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now, Hooks: inv})
}

// passWhile runs passes, a second of the test clock apart and a few
// milliseconds of real time apart (replies arrive asynchronously),
// until cond holds.
func (h *harness) passWhile(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		h.ctl.Pass(context.Background())
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
		h.advance(time.Second)
	}
	h.t.Fatalf("gave up waiting for %s", what)
}

func TestInvokedHooksCarryTheirDetails(t *testing.T) {
	h := newHarness(t)
	h.withHooks()
	hs := newHookServer(t, map[string][]string{
		"PRE_SCALE_UP": {
			`{"hookStatus":"IN_PROGRESS","callBackDelay":3,"hookDetails":{"checks":1}}`,
			`{"hookStatus":"IN_PROGRESS","callBackDelay":3,"hookDetails":{"checks":2}}`,
			`{"hookStatus":"SUCCEEDED"}`,
		},
		"POST_SCALE_UP": {`{"hookStatus":"SUCCEEDED"}`},
	})
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))

	h.registerTaskDef("web", "v2", nil)
	h.call("UpdateService", fmt.Sprintf(`{"cluster":"c","service":"web","taskDefinition":"web:2","deploymentConfiguration":{
		"lifecycleHooks":[{"hookTargetArn":%q,"lifecycleStages":["PRE_SCALE_UP","POST_SCALE_UP"],"hookDetails":{"suite":"smoke"}}]}}`, hs.URL))
	h.passWhile("a hook in progress", func() bool {
		details, _ := h.deployment("web")["lifecycleHookDetails"].([]any)
		return len(details) == 1 && len(hs.calls()) > 0
	})
	hook := h.deployment("web")["lifecycleHookDetails"].([]any)[0].(map[string]any)
	if hook["status"] != "IN_PROGRESS" || hook["targetType"] != "AWS_LAMBDA" || hook["targetArn"] != hs.URL {
		t.Fatalf("hook detail %v", hook)
	}
	h.passWhile("v2 deployed", func() bool { return h.status("web") == "SUCCESSFUL" })

	calls := hs.calls()
	var details []string
	for _, ev := range calls {
		b, _ := json.Marshal(ev["hookDetails"])
		details = append(details, ev["lifecycleStage"].(string)+" "+string(b))
	}
	want := []string{
		`PRE_SCALE_UP {"suite":"smoke"}`, `PRE_SCALE_UP {"checks":1}`, `PRE_SCALE_UP {"checks":2}`,
		`POST_SCALE_UP {"suite":"smoke"}`,
	}
	if strings.Join(details, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hook calls:\n%s\nwant\n%s", strings.Join(details, "\n"), strings.Join(want, "\n"))
	}
	dep := h.deployment("web")
	ex := calls[0]["executionDetails"].(map[string]any)
	if calls[0]["resourceArn"] != dep["serviceDeploymentArn"] || ex["serviceArn"] != dep["serviceArn"] ||
		ex["targetServiceRevisionArn"] != dep["targetServiceRevision"].(map[string]any)["arn"] ||
		calls[0]["executionId"] != calls[1]["executionId"] || calls[0]["executionId"] == calls[3]["executionId"] {
		t.Fatalf("events %v for deployment %v", calls, dep)
	}
}

func TestFailingHookRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(t *testing.T) string
		reason string
	}{
		{"replies FAILED", func(t *testing.T) string {
			return newHookServer(t, map[string][]string{"POST_SCALE_UP": {`{"hookStatus":"FAILED"}`}}).URL
		}, "the hook replied FAILED"},
		{"answers garbage", func(t *testing.T) string {
			return newHookServer(t, map[string][]string{"POST_SCALE_UP": {`not json`}}).URL
		}, "invalid hook reply"},
		{"is down", func(t *testing.T) string {
			hs := newHookServer(t, nil)
			hs.Close()
			return hs.URL
		}, "invoking the hook failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.withHooks()
			h.rollsBackOn(tc.target(t), tc.reason)
		})
	}
}

// rollsBackOn deploys v2 of a steady v1 service with a POST_SCALE_UP hook
// at target and checks that the deployment rolls back with a statusReason
// containing reason, and that v1 is steady again.
func (h *harness) rollsBackOn(target, reason string) {
	h.t.Helper()
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 1}))
	h.registerTaskDef("web", "v2", nil)
	h.call("UpdateService", fmt.Sprintf(`{"cluster":"c","service":"web","taskDefinition":"web:2","deploymentConfiguration":{
		"lifecycleHooks":[{"hookTargetArn":%q,"lifecycleStages":["POST_SCALE_UP"]}]}}`, target))
	h.passWhile("rolled back", func() bool { return h.status("web") == "ROLLBACK_SUCCESSFUL" })
	if got := h.deployment("web")["statusReason"].(string); !strings.Contains(got, reason) {
		h.t.Fatalf("statusReason %q, want it to contain %q", got, reason)
	}
	h.passUntil("v1 steady again", h.steady("web", map[string]int{"web:1": 1}))
}

// TestHookCallbackSurvivesARestart: an IN_PROGRESS hook's next call and
// its hookDetails are stored, so a new controller calls it back on time
// with them, once.
func TestHookCallbackSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	h.withHooks()
	hs := newHookServer(t, map[string][]string{"PRE_SCALE_UP": {
		`{"hookStatus":"IN_PROGRESS","callBackDelay":30,"hookDetails":{"n":1}}`, `{"hookStatus":"SUCCEEDED"}`,
	}})
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", fmt.Sprintf(`{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1,"deploymentConfiguration":{
		"lifecycleHooks":[{"hookTargetArn":%q,"lifecycleStages":["PRE_SCALE_UP"]}]}}`, hs.URL))
	h.passWhile("the first reply stored", func() bool {
		var answered bool
		arn := h.service("web")["currentServiceDeployment"].(string)
		state.View(context.Background(), h.store, func(tx state.Tx) error {
			d, err := tx.Deployment(arn)
			answered = err == nil && len(d.Hooks) == 1 && d.Hooks[0].Attempts == 1
			return err
		})
		return answered
	})

	h.withHooks() // a new controller over the same store
	for range 25 {
		h.ctl.Pass(context.Background())
		h.advance(time.Second)
	}
	if n := len(hs.calls()); n != 1 {
		t.Fatalf("%d calls before the callBackDelay is over", n)
	}
	h.passWhile("v1 deployed", func() bool { return h.status("web") == "SUCCESSFUL" })
	calls := hs.calls()
	if len(calls) != 2 || fmt.Sprint(calls[1]["hookDetails"]) != "map[n:1]" {
		t.Fatalf("calls %v", calls)
	}
}
