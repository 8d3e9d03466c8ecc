package events

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/signature"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

var secret = []byte("s3cret")

// receiver is a webhook endpoint that records the requests it gets.
type receiver struct {
	t *testing.T
	// fail says how many times to answer 500 to each event (by seq).
	fail map[string]int

	mu        sync.Mutex
	requests  []string // event IDs of every request, in order
	delivered []string // event IDs of the requests answered 200
	bodies    map[string][]byte
}

func newReceiver(t *testing.T, fail map[string]int) *receiver {
	return &receiver{t: t, fail: fail, bodies: map[string][]byte{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("read body: %v", err)
		return
	}
	if err := signature.Verify(r.Header, secret, body, time.Now()); err != nil {
		rc.t.Errorf("signature: %v", err)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
	}
	id := r.Header.Get(EventIDHeader)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests = append(rc.requests, id)
	if rc.fail[id] > 0 {
		rc.fail[id]--
		http.Error(w, "not now", http.StatusInternalServerError)
		return
	}
	rc.delivered = append(rc.delivered, id)
	rc.bodies[id] = body
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) snapshot() (requests, delivered string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return strings.Join(rc.requests, ","), strings.Join(rc.delivered, ",")
}

// waitDelivered waits until rc has accepted want (comma-separated IDs).
func (rc *receiver) waitDelivered(want string) {
	rc.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, got := rc.snapshot()
		if got == want {
			return
		}
		if time.Now().After(deadline) || !strings.HasPrefix(want, got) {
			rc.t.Fatalf("delivered %q, want %q", got, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func cursor(t *testing.T, st store.Store, name string) uint64 {
	t.Helper()
	var c uint64
	if err := state.View(context.Background(), st, func(tx state.Tx) (err error) { c, err = tx.EventCursor(name); return err }); err != nil {
		t.Fatal(err)
	}
	return c
}

func waitCursor(t *testing.T, st store.Store, name string, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for cursor(t, st, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("cursor of %s = %d, want %d", name, cursor(t, st, name), want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestWebhookDelivery(t *testing.T) {
	st := openStore(t)
	all, deploys := newReceiver(t, nil), newReceiver(t, nil)
	allSrv, deploySrv := httptest.NewServer(all), httptest.NewServer(deploys)
	t.Cleanup(allSrv.Close)
	t.Cleanup(deploySrv.Close)

	deployment := testEvent{state.DetailDeploymentStateChange, webArn, map[string]string{"eventName": "SERVICE_DEPLOYMENT_IN_PROGRESS"}}
	appendEvents(t, st, deployment, serviceActions(1)[0], deployment) // before Run: delivered too
	e := newTestEvents(t, st,
		Sink{Name: "all", URL: allSrv.URL + "/hook", Secret: secret},
		Sink{Name: "deploys", URL: deploySrv.URL, Secret: secret, DetailTypes: []string{state.DetailDeploymentStateChange}},
	)
	start(t, e)
	appendEvents(t, st, serviceActions(1)...)
	appendEvents(t, st, deployment, serviceActions(1)[0])

	all.waitDelivered("1,2,3,4,5,6")
	deploys.waitDelivered("1,3,5")
	for seq := range uint64(6) {
		id := strconv.FormatUint(seq+1, 10)
		if got, want := string(all.bodies[id]), string(envelope(t, st, seq+1)); got != want {
			t.Errorf("event %s: body %s, want %s", id, got, want)
		}
	}
	// Skipped events move the cursor too.
	waitCursor(t, st, "all", 6)
	waitCursor(t, st, "deploys", 6)
	if requests, _ := all.snapshot(); requests != "1,2,3,4,5,6" {
		t.Errorf("requests %s", requests)
	}
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     map[string]int
		requests string
	}{
		{"first event", map[string]int{"1": 3}, "1,1,1,1,2,3,4,5"},
		{"middle event", map[string]int{"3": 2}, "1,2,3,3,3,4,5"},
		{"several", map[string]int{"2": 1, "5": 4}, "1,2,2,3,4,5,5,5,5,5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			rc := newReceiver(t, tt.fail)
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			e := newTestEvents(t, st, Sink{Name: "flaky", URL: srv.URL, Secret: secret})
			start(t, e)
			appendEvents(t, st, serviceActions(5)...)
			rc.waitDelivered("1,2,3,4,5")
			if requests, _ := rc.snapshot(); requests != tt.requests {
				t.Errorf("requests %s, want %s", requests, tt.requests)
			}
		})
	}
}

func TestWebhookSinkDown(t *testing.T) {
	st := openStore(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there for now

	e := newTestEvents(t, st, Sink{Name: "late", URL: "http://" + addr + "/hook", Secret: secret})
	start(t, e)
	appendEvents(t, st, serviceActions(3)...)
	time.Sleep(60 * time.Millisecond) // a few failed attempts
	if c := cursor(t, st, "late"); c != 0 {
		t.Fatalf("cursor %d while the sink is down", c)
	}

	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	rc := newReceiver(t, nil)
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	rc.waitDelivered("1,2,3")
	appendEvents(t, st, serviceActions(2)...)
	rc.waitDelivered("1,2,3,4,5")
}

func TestWebhookRestart(t *testing.T) {
	st := openStore(t)
	rc := newReceiver(t, nil)
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	sink := Sink{Name: "restart", URL: srv.URL, Secret: secret}

	stop := start(t, newTestEvents(t, st, sink))
	appendEvents(t, st, serviceActions(3)...)
	rc.waitDelivered("1,2,3")
	waitCursor(t, st, "restart", 3)
	stop()

	appendEvents(t, st, serviceActions(2)...) // while cutover is down
	start(t, newTestEvents(t, st, sink))
	appendEvents(t, st, serviceActions(1)...)
	rc.waitDelivered("1,2,3,4,5,6")
	if requests, _ := rc.snapshot(); requests != "1,2,3,4,5,6" {
		t.Errorf("requests %s: acknowledged events delivered again", requests)
	}
}

func TestPrune(t *testing.T) {
	tests := []struct {
		name    string
		sinks   []string
		cursors map[string]uint64
		after   time.Duration
		left    string // events left
	}{
		{"within retention", nil, nil, time.Hour, "1,2,3,4,5,6,7,8,9,10"},
		{"no sinks", nil, nil, 25 * time.Hour, ""},
		{"held back by the slowest sink", []string{"a", "b"}, map[string]uint64{"a": 4, "b": 7}, 25 * time.Hour, "5,6,7,8,9,10"},
		{"delivered but recent", []string{"a"}, map[string]uint64{"a": 10}, time.Hour, "1,2,3,4,5,6,7,8,9,10"},
		{"new sink", []string{"a", "new"}, map[string]uint64{"a": 10}, 25 * time.Hour, "1,2,3,4,5,6,7,8,9,10"},
		{"removed sink", []string{"a"}, map[string]uint64{"a": 10, "gone": 2}, 25 * time.Hour, ""},
		{"max retention", []string{"a", "b"}, map[string]uint64{"a": 4, "b": 7}, 8 * 24 * time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			appendEvents(t, st, serviceActions(10)...)
			err := state.Update(context.Background(), st, func(tx state.Tx) error {
				for name, c := range tt.cursors {
					if err := tx.PutEventCursor(name, c); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var sinks []Sink
			for _, name := range tt.sinks {
				sinks = append(sinks, Sink{Name: name, URL: "http://127.0.0.1:1/"})
			}
			e := newTestEvents(t, st, sinks...)
			if _, err := e.prune(context.Background(), time.Now().Add(tt.after)); err != nil {
				t.Fatal(err)
			}
			var left []string
			err = state.View(context.Background(), st, func(tx state.Tx) error {
				return tx.Events(0, func(seq uint64, _ []byte) error {
					left = append(left, strconv.FormatUint(seq, 10))
					return nil
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(left, ","); got != tt.left {
				t.Errorf("left %q, want %q", got, tt.left)
			}
		})
	}
}

func TestDeliverFuncSink(t *testing.T) {
	st := openStore(t)
	var mu sync.Mutex
	var got []uint64
	failed := false
	e := newTestEvents(t, st, Sink{Name: "func", DetailTypes: []string{state.DetailServiceAction},
		Deliver: func(_ context.Context, seq uint64, env []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if seq == 2 && !failed {
				failed = true
				return errors.New("not yet")
			}
			if !strings.Contains(string(env), state.DetailServiceAction) {
				t.Errorf("event %d: envelope %s", seq, env)
			}
			got = append(got, seq)
			return nil
		}})
	start(t, e)
	appendEvents(t, st, serviceActions(3)...)
	waitCursor(t, st, "func", 3)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, []uint64{1, 2, 3}) || !failed {
		t.Errorf("delivered %v (failed once: %v), want 1,2,3 with 2 retried", got, failed)
	}
}
