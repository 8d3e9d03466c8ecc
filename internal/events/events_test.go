package events

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

var (
	arns       = state.ARNs{Region: "us-east-1", Account: "000000000000"}
	webArn     = arns.Service("default", "web")
	apiArn     = arns.Service("default", "api")
	webDepArn  = arns.ServiceDeployment("default", "web", "1")
	webTaskArn = arns.Task("default", "t1")
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testEvent is an event to append.
type testEvent struct {
	detailType string
	resource   string
	detail     map[string]string
}

func appendEvents(t *testing.T, st store.Store, evs ...testEvent) {
	t.Helper()
	err := state.Update(context.Background(), st, func(tx state.Tx) error {
		for _, ev := range evs {
			if err := tx.AppendEvent(ev.detailType, []string{ev.resource}, ev.detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serviceActions returns n service actions of the web service.
func serviceActions(n int) []testEvent {
	evs := make([]testEvent, n)
	for i := range evs {
		evs[i] = testEvent{state.DetailServiceAction, webArn, map[string]string{"eventName": "SERVICE_STEADY_STATE"}}
	}
	return evs
}

// envelope returns the stored envelope of event seq.
func envelope(t *testing.T, st store.Store, seq uint64) []byte {
	t.Helper()
	var env []byte
	err := state.View(context.Background(), st, func(tx state.Tx) error {
		return tx.Events(seq-1, func(got uint64, b []byte) error {
			if got == seq {
				env = append([]byte(nil), b...)
			}
			return store.ErrStop
		})
	})
	if err != nil || env == nil {
		t.Fatalf("event %d: %v (found: %t)", seq, err, env != nil)
	}
	return env
}

// newTestEvents returns an Events with fast timings.
func newTestEvents(t *testing.T, st store.Store, sinks ...Sink) *Events {
	t.Helper()
	e, err := New(Config{Store: st, Sinks: sinks, PollInterval: 5 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	e.backoffBase, e.backoffMax = 2*time.Millisecond, 20*time.Millisecond
	e.keepalive = 50 * time.Millisecond
	e.client.Timeout = 2 * time.Second
	return e
}

// start runs e until the test ends, or until the returned stop is called.
func start(t *testing.T, e *Events) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Go(func() { e.Deliver(ctx) })
		e.Run(ctx)
		wg.Wait()
		close(done)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	}
	t.Cleanup(stop)
	return stop
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestNewRefusesBadSinks(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		name  string
		sinks []Sink
	}{
		{"no name", []Sink{{URL: "http://example.com"}}},
		{"duplicate", []Sink{{Name: "a", URL: "http://example.com"}, {Name: "a", URL: "http://example.org"}}},
		{"bad URL", []Sink{{Name: "a", URL: "example.com/hook"}}},
		{"bad scheme", []Sink{{Name: "a", URL: "ftp://example.com/hook"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(Config{Store: st, Sinks: tt.sinks}); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
	if _, err := New(Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New without a store = %v", err)
	}
}

func TestBackoff(t *testing.T) {
	e := &Events{backoffBase: time.Second, backoffMax: 5 * time.Minute}
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second},
		{10, 5 * time.Minute}, {100, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := e.backoff(tt.attempt); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

// sseEvent is an event received from a stream.
type sseEvent struct {
	id, event, data string
}

// stream opens an SSE stream at path with the given Last-Event-ID (if
// any) and returns its events.
func stream(t *testing.T, srv *httptest.Server, path, lastEventID string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET %s: %s %v", path, resp.Status, resp.Header)
	}
	out := make(chan sseEvent, 100)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[len("id: "):]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return out
}

// receive returns the next n events of a stream.
func receive(t *testing.T, ch <-chan sseEvent, n int) []sseEvent {
	t.Helper()
	var got []sseEvent
	timeout := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case ev := <-ch:
			got = append(got, ev)
		case <-timeout:
			t.Fatalf("received %d events, want %d: %v", len(got), n, got)
		}
	}
	return got
}

func ids(evs []sseEvent) string {
	var s []string
	for _, ev := range evs {
		s = append(s, ev.id)
	}
	return strings.Join(s, ",")
}
