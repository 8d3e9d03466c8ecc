package e2e

// The event side of TestHooksAndEvents: the SSE stream and a webhook.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/signature"
)

// webhookSink records the events posted to an event webhook.
type webhookSink struct {
	secret []byte
	mu     sync.Mutex
	ids    []uint64 // as received, duplicates included
	bodies map[uint64]string
	bad    []string
}

func (k *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := signature.Verify(r.Header, k.secret, body, time.Now()); err != nil {
		k.bad = append(k.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id, err := strconv.ParseUint(r.Header.Get("X-Cutover-Event-Id"), 10, 64)
	if err != nil {
		k.bad = append(k.bad, fmt.Sprintf("X-Cutover-Event-Id %q", r.Header.Get("X-Cutover-Event-Id")))
		http.Error(w, "no event id", http.StatusBadRequest)
		return
	}
	k.ids = append(k.ids, id)
	k.bodies[id] = string(body)
	w.WriteHeader(http.StatusNoContent)
}

func (k *webhookSink) received() ([]uint64, map[uint64]string, []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.ids), maps.Clone(k.bodies), slices.Clone(k.bad)
}

// envelope is an EventBridge event.
type envelope struct {
	Version    string         `json:"version"`
	ID         string         `json:"id"`
	DetailType string         `json:"detail-type"`
	Source     string         `json:"source"`
	Account    string         `json:"account"`
	Time       string         `json:"time"`
	Region     string         `json:"region"`
	Resources  []string       `json:"resources"`
	Detail     map[string]any `json:"detail"`
}

// sseEvent is one event of the event stream.
type sseEvent struct {
	id   uint64
	typ  string
	data string
	env  envelope
}

func (e sseEvent) name() string { return fmt.Sprint(e.env.Detail["eventName"]) }

func (e sseEvent) detail(key string) string { s, _ := e.env.Detail[key].(string); return s }

// readEvents reads the event stream at url, resuming after lastEventID
// unless it is empty, until enough says it has what it needs.
func readEvents(t *testing.T, url, lastEventID string, enough func([]sseEvent) bool) []sseEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %s: %s", url, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out []sseEvent
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.data == "" {
				continue // the end of a comment
			}
			if err := json.Unmarshal([]byte(cur.data), &cur.env); err != nil {
				t.Fatalf("event %d: %v: %s", cur.id, err, cur.data)
			}
			out = append(out, cur)
			cur = sseEvent{}
			if enough(out) {
				return out
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			cur.id, err = strconv.ParseUint(line[len("id: "):], 10, 64)
			if err != nil {
				t.Fatalf("event stream: %q", line)
			}
		case strings.HasPrefix(line, "event: "):
			cur.typ = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[len("data: "):]
		default:
			t.Fatalf("event stream: unexpected line %q", line)
		}
	}
	t.Fatalf("event stream %s ended (%v) after %d events without all that was expected", url, sc.Err(), len(out))
	return nil
}

func ids(evs []sseEvent) []uint64 {
	var out []uint64
	for _, e := range evs {
		out = append(out, e.id)
	}
	return out
}

type deployments struct {
	v2, v3, v3b, pause2, httpHook string
}

// checkEvents reads the whole event log from the SSE stream and checks
// the events of the deployments, resuming after an event, filtering by
// detail-type, and that the webhook sink received the same events.
func checkEvents(t *testing.T, eventsURL string, sink *webhookSink, d deployments) {
	t.Helper()
	v2, v3, v3b, pause2 := d.v2, d.v3, d.v3b, d.pause2
	isDeployment := func(arn, name string) func(sseEvent) bool {
		return func(e sseEvent) bool {
			return e.typ == "ECS Deployment State Change" && e.detail("serviceDeploymentArn") == arn && e.name() == name
		}
	}
	isHook := func(arn, target, stage, name string) func(sseEvent) bool {
		return func(e sseEvent) bool {
			return e.typ == "ECS Hook State Change" && e.detail("serviceDeploymentArn") == arn &&
				e.detail("hookTargetArn") == target && e.detail("lifecycleStage") == stage && e.name() == name
		}
	}
	// Replay everything up to v3b's rollback.
	all := readEvents(t, eventsURL+"?after=0", "", func(evs []sseEvent) bool {
		return slices.ContainsFunc(evs, isDeployment(v3b, "SERVICE_DEPLOYMENT_COMPLETED"))
	})
	at := func(what string, match func(sseEvent) bool) int {
		t.Helper()
		i := slices.IndexFunc(all, match)
		if i < 0 {
			t.Errorf("no event for %s", what)
		}
		return i
	}
	for i, e := range all {
		env := e.env
		if e.id == 0 || (i > 0 && e.id <= all[i-1].id) {
			t.Errorf("event %d has id %d after %d", i, e.id, all[max(i-1, 0)].id)
		}
		source := "aws.ecs"
		if e.typ == "Cutover Audit Record" {
			source = "cutover"
		}
		if _, err := time.Parse(time.RFC3339, env.Time); err != nil || env.Version != "0" || env.ID == "" ||
			env.Source != source || env.Account != "000000000000" || env.Region != "us-east-1" ||
			env.DetailType != e.typ || len(env.Resources) == 0 || env.Detail == nil {
			t.Errorf("event %d is not a complete EventBridge envelope of type %s: %s", e.id, e.typ, e.data)
		}
	}
	order := func(what string, ixs ...int) {
		t.Helper()
		for i := 1; i < len(ixs); i++ {
			if ixs[i-1] >= 0 && ixs[i] >= 0 && ixs[i-1] >= ixs[i] {
				t.Errorf("%s: events out of order at positions %v", what, ixs)
			}
		}
	}
	pauseHook := func(arn, name string) func(sseEvent) bool {
		return func(e sseEvent) bool {
			return e.typ == "ECS Hook State Change" && e.detail("serviceDeploymentArn") == arn &&
				e.detail("hookType") == "PAUSE" && e.detail("lifecycleStage") == "POST_TEST_TRAFFIC_SHIFT" && e.name() == name
		}
	}
	admission, smoke, httpTarget := lambdaARNPrefix+"admission", lambdaARNPrefix+"smoke", d.httpHook
	order("v2",
		at("v2 in progress", isDeployment(v2, "SERVICE_DEPLOYMENT_IN_PROGRESS")),
		at("v2 admission in progress", isHook(v2, admission, "PRE_SCALE_UP", "HOOK_IN_PROGRESS")),
		at("v2 admission succeeded", isHook(v2, admission, "PRE_SCALE_UP", "HOOK_SUCCEEDED")),
		at("v2 smoke test succeeded", isHook(v2, smoke, "POST_TEST_TRAFFIC_SHIFT", "HOOK_SUCCEEDED")),
		at("v2 pause continued", pauseHook(v2, "HOOK_SUCCEEDED")),
		at("v2 HTTP hook in progress", isHook(v2, httpTarget, "PRE_PRODUCTION_TRAFFIC_SHIFT", "HOOK_IN_PROGRESS")),
		at("v2 HTTP hook succeeded", isHook(v2, httpTarget, "PRE_PRODUCTION_TRAFFIC_SHIFT", "HOOK_SUCCEEDED")),
		at("v2 completed", isDeployment(v2, "SERVICE_DEPLOYMENT_COMPLETED")),
	)
	order("v2 pause", at("v2 pause awaiting", pauseHook(v2, "HOOK_AWAITING_ACTION")), at("v2 pause continued", pauseHook(v2, "HOOK_SUCCEEDED")))
	order("v3",
		at("v3 in progress", isDeployment(v3, "SERVICE_DEPLOYMENT_IN_PROGRESS")),
		at("v3 admission failed", isHook(v3, admission, "PRE_SCALE_UP", "HOOK_FAILED")),
		at("v3 failed", isDeployment(v3, "SERVICE_DEPLOYMENT_FAILED")),
		at("v3 rolled back", isDeployment(v3, "SERVICE_DEPLOYMENT_COMPLETED")),
	)
	order("v3b",
		at("v3b in progress", isDeployment(v3b, "SERVICE_DEPLOYMENT_IN_PROGRESS")),
		at("v3b pause awaiting", pauseHook(v3b, "HOOK_AWAITING_ACTION")),
		at("v3b pause rolled back", pauseHook(v3b, "HOOK_FAILED")),
		at("v3b failed", isDeployment(v3b, "SERVICE_DEPLOYMENT_FAILED")),
		at("v3b rolled back", isDeployment(v3b, "SERVICE_DEPLOYMENT_COMPLETED")),
	)
	if i := at("v3 failed", isDeployment(v3, "SERVICE_DEPLOYMENT_FAILED")); i >= 0 {
		if r := all[i].detail("reason"); !strings.Contains(r, "PRE_SCALE_UP") {
			t.Errorf("v3's SERVICE_DEPLOYMENT_FAILED reason %q does not name the stage", r)
		}
	}
	for _, arn := range []string{v3, v3b} {
		if i := at(arn+" rolled back", isDeployment(arn, "SERVICE_DEPLOYMENT_COMPLETED")); i >= 0 && all[i].detail("status") != "ROLLBACK_SUCCESSFUL" {
			t.Errorf("%s completed with status %q, want ROLLBACK_SUCCESSFUL", arn, all[i].detail("status"))
		}
	}
	if i := at("v2 pause awaiting", pauseHook(v2, "HOOK_AWAITING_ACTION")); i >= 0 && all[i].detail("hookId") != pause2 {
		t.Errorf("HOOK_AWAITING_ACTION names hook %q, want %s", all[i].detail("hookId"), pause2)
	}
	taskStatuses := map[string]bool{}
	for _, e := range all {
		if e.typ != "ECS Task State Change" {
			continue
		}
		taskStatuses[e.detail("lastStatus")] = true
		if strings.HasSuffix(e.detail("taskDefinitionArn"), ":task-definition/web:3") {
			t.Errorf("a task of the refused task definition web:3 was started: %s", e.data)
		}
		if !strings.Contains(e.env.Resources[0], ":task/demo/") {
			t.Errorf("task state change of %v", e.env.Resources)
		}
	}
	if !taskStatuses["RUNNING"] || !taskStatuses["STOPPED"] {
		t.Errorf("task state changes seen: %v, want RUNNING and STOPPED ones", taskStatuses)
	}

	// Resuming after an event gives exactly the events that follow it.
	last := all[len(all)-1].id
	from := at("v2 completed", isDeployment(v2, "SERVICE_DEPLOYMENT_COMPLETED"))
	if from >= 0 {
		resumed := readEvents(t, eventsURL, strconv.FormatUint(all[from].id, 10), func(evs []sseEvent) bool {
			return evs[len(evs)-1].id >= last
		})
		if got, want := ids(resumed), ids(all[from+1:]); !slices.Equal(got, want) {
			t.Errorf("resumed after event %d: ids %v, want %v", all[from].id, got, want)
		}
	}
	// A detail-type filter keeps the hook events only.
	var hookEvents []sseEvent
	for _, e := range all {
		if e.typ == "ECS Hook State Change" {
			hookEvents = append(hookEvents, e)
		}
	}
	if len(hookEvents) > 0 {
		filtered := readEvents(t, eventsURL+"?after=0&detailType=ECS+Hook+State+Change", "", func(evs []sseEvent) bool {
			return evs[len(evs)-1].id >= hookEvents[len(hookEvents)-1].id
		})
		if got, want := ids(filtered), ids(hookEvents); !slices.Equal(got, want) {
			t.Errorf("hook events filtered by the stream: ids %v, want %v", got, want)
		}
	}

	// The webhook got the same events, signed, at least once, in order.
	eventually(t, 30*time.Second, "the webhook to receive every event", func() bool {
		got, _, _ := sink.received()
		return slices.Contains(got, last)
	})
	got, bodies, bad := sink.received()
	if len(bad) > 0 {
		t.Errorf("the webhook got badly signed requests: %v", bad)
	}
	var firsts []uint64
	dups := 0
	for _, id := range got {
		if slices.Contains(firsts, id) {
			dups++
		}
		if id <= last && !slices.Contains(firsts, id) {
			firsts = append(firsts, id)
		}
	}
	if want := ids(all); !slices.Equal(firsts, want) {
		t.Errorf("the webhook received events %v (in this order), want %v", firsts, want)
	}
	for _, e := range all {
		if b, ok := bodies[e.id]; ok && strings.TrimSpace(b) != e.data {
			t.Errorf("event %d: the webhook got %s, the stream %s", e.id, b, e.data)
		}
	}
	t.Logf("%d events (%d of them hook events) up to v3b's rollback; the webhook got %d requests, %d duplicates", len(all), len(hookEvents), len(got), dups)
}
