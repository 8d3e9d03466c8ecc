package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime/docker/dockertest"
	"github.com/cutover/cutover/internal/store/postgres/pgtest"
)

// relayHook is a URL lifecycle hook that answers IN_PROGRESS
// (callBackDelay 1) with hookDetails {"n": n+1} to an event carrying
// {"n": n}, until n is 3, then SUCCEEDED: each attempt is told apart by
// the n it carries, so an attempt invoked twice shows as an n seen twice.
type relayHook struct {
	secret []byte
	mu     sync.Mutex
	seen   []int       // the n of each invocation, in order
	at     []time.Time // when each came
	bad    []string
}

func (h *relayHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev struct {
		HookDetails struct{ N int } `json:"hookDetails"`
	}
	if !readSignedEvent(w, r, h.secret, &h.bad, &ev) {
		return
	}
	n := ev.HookDetails.N
	h.seen, h.at = append(h.seen, n), append(h.at, time.Now())
	reply := map[string]any{"hookStatus": "SUCCEEDED"}
	if n < 3 {
		reply = map[string]any{"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": map[string]any{"n": n + 1}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

// calls returns the n of each invocation and when the last came.
func (h *relayHook) calls() (seen []int, last time.Time, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.at) > 0 {
		last = h.at[len(h.at)-1]
	}
	return slices.Clone(h.seen), last, slices.Clone(h.bad)
}

// role returns the role s says it has on /healthz: "leader" or
// "follower" ("" when it does not answer).
func role(s *server) string {
	resp, err := http.Get(s.url() + "/healthz")
	if err != nil {
		return ""
	}
	resp.Body.Close()
	return resp.Header.Get("X-Cutover-Role")
}

// TestFailoverUnderLoad runs two servers on one PostgreSQL store, each
// with its own load balancer, and a BLUE_GREEN deployment on the docker
// runtime with an IN_PROGRESS hook and a pause, under load on both
// servers' production listeners. The leader is killed with SIGKILL three
// times: while a green task starts, between two callbacks of the hook,
// and while the pause waits. Each time the other server takes over, and
// then the killed one is restarted, as a supervisor would. The pause's
// continue is sent to the restarted server, a follower, which forwards
// it. The deployment succeeds, no request fails on either load balancer,
// and the hook is invoked once per attempt.
func TestFailoverUnderLoad(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.AppImage(t, cli)
	pg := pgtest.StartServer(t)
	db, err := pg.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const secret = "e2e-failover-secret"
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "signingSecret: %q\n", secret), 0o644); err != nil {
		t.Fatal(err)
	}
	// The two load balancers listen on the same ports on two loopback
	// addresses.
	a := startServer(t, "--store", db, "--config", cfg, "--lb-address", "127.0.0.1")
	b := startServer(t, "--store", db, "--config", cfg, "--lb-address", "127.0.0.2")
	servers := []*server{a, b}
	leader := func() (lead, other *server) {
		t.Helper()
		eventually(t, 15*time.Second, "a leader", func() bool {
			for i, s := range servers {
				if role(s) == "leader" {
					lead, other = s, servers[1-i]
					return true
				}
			}
			return false
		})
		return lead, other
	}
	l, o := leader()
	if role(o) != "follower" {
		t.Fatalf("%s leads and %s is %q, want a follower", l.addr, o.addr, role(o))
	}
	for s, want := range map[*server]string{l: "cutover_leader 1\n", o: "cutover_leader 0\n"} {
		if m, err := get(s.url() + "/metrics"); err != nil || !strings.Contains(m, want) {
			t.Errorf("%s's metrics do not say %q (%v)", s.addr, want, err)
		}
	}

	// Set up through b, whichever leads: a follower forwards writes.
	b.mustAWS("ecs", "create-cluster", "--cluster-name", "demo", "--tags", "key=cutover:runtime,value=docker")
	prod, _ := imageService(t, b, image)
	// The other server's load balancer serves the same listeners.
	prods := []string{prod, strings.Replace(prod, "127.0.0.1", "127.0.0.2", 1)}
	eventually(t, 10*time.Second, prods[1]+" answering v1", func() bool { return sample(prods[1], 4)["v1"] == 4 })

	hook := &relayHook{secret: []byte(secret)}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	stops := []func() *load{loadPhase(t, prods[0]), loadPhase(t, prods[1])}
	a.mustAWS("ecs", "register-task-definition", "--cli-input-json", dockerTaskDef(t, "v2", image))
	conf, _ := json.Marshal(map[string]any{
		"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
		"lifecycleHooks": []any{
			map[string]any{"hookTargetArn": hookSrv.URL + "/hook", "lifecycleStages": []string{"POST_TEST_TRAFFIC_SHIFT"}},
			map[string]any{"targetType": "PAUSE", "lifecycleStages": []string{"POST_PRODUCTION_TRAFFIC_SHIFT"}},
		},
	})
	arn, _ := updateService(t, a, "web:2", string(conf))

	// killLeader kills the leader with SIGKILL, waits for the other
	// server to take over, and restarts the killed one (its load
	// balancer serves meanwhile, and follows again once it is back).
	killLeader := func(when string) (lead, other *server) {
		t.Helper()
		old, other := leader()
		t.Logf("killing the leader %s %s", old.addr, when)
		killed := time.Now()
		old.kill9()
		eventually(t, 15*time.Second, other.addr+" taking over", func() bool { return role(other) == "leader" })
		t.Logf("%s took over after %v", other.addr, time.Since(killed).Round(100*time.Millisecond))
		old.start()
		return other, old
	}

	// First kill: while a green task is half started (its sidecar waits
	// for web to be healthy); the new leader finds its containers.
	eventually(t, 60*time.Second, "a v2 task in Docker", func() bool {
		return len(serviceContainers(t, cli, a, true, labelTDRev+"=2")) > 0
	})
	killLeader("during the scale-up")

	// Second kill: between two callbacks of the hook, once its first
	// answer is stored (its callBackDelay is a second).
	eventually(t, 120*time.Second, "the hook's first invocation", func() bool {
		seen, last, _ := hook.calls()
		return len(seen) == 1 && time.Since(last) > 300*time.Millisecond
	})
	killLeader("during the hook's callbacks")

	// Third kill: while the pause waits; the continue goes to the
	// killed server, restarted as a follower, which forwards it.
	var hookID string
	eventually(t, 120*time.Second, "the pause after the production traffic shift", func() bool {
		d := describeDeployment(t, a, arn)
		if st, _ := d["status"].(string); ended(st) {
			t.Fatalf("deployment %s ended %s (%v) before its pause", arn, st, d["statusReason"])
		}
		hooks, _ := path(d, "lifecycleHookDetails").([]any)
		for _, h := range hooks {
			if path(h, "status") == "AWAITING_ACTION" {
				hookID, _ = path(h, "hookId").(string)
			}
		}
		return hookID != ""
	})
	_, other := killLeader("during the pause")
	t.Logf("continuing through the restarted %s (%s)", other.addr, role(other))
	other.mustAWS("ecs", "continue-service-deployment", "--service-deployment-arn", arn, "--hook-id", hookID, "--action", "CONTINUE")
	untilStatus(t, other, arn, "SUCCESSFUL", 120*time.Second)

	for i, stop := range stops {
		checkLoad(t, fmt.Sprintf("on load balancer %d during the update", i+1), stop(), "v1", "v2")
	}
	for _, u := range prods {
		eventually(t, 10*time.Second, u+" answering v2 only", func() bool { return sample(u, 10)["v2"] == 10 })
	}
	seen, _, bad := hook.calls()
	if !slices.Equal(seen, []int{0, 1, 2, 3}) || len(bad) > 0 {
		t.Errorf("the hook's attempts carried n = %v (bad requests: %v), want 0, 1, 2, 3 once each", seen, bad)
	}
}
