package events

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/state"
)

func TestStreamFromNow(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	appendEvents(t, st, serviceActions(2)...) // before the client: not streamed
	ch := stream(t, srv, "/events", "")
	appendEvents(t, st, serviceActions(3)...)
	got := receive(t, ch, 3)
	if ids(got) != "3,4,5" {
		t.Fatalf("streamed %s, want 3,4,5", ids(got))
	}
	for _, ev := range got {
		var env state.Event
		if ev.event != state.DetailServiceAction || json.Unmarshal([]byte(ev.data), &env) != nil ||
			env.DetailType != state.DetailServiceAction || env.Resources[0] != webArn {
			t.Errorf("event %+v", ev)
		}
	}
	if got[0].data != string(envelope(t, st, 3)) {
		t.Errorf("data %s, want the stored envelope %s", got[0].data, envelope(t, st, 3))
	}
}

func TestStreamResume(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	appendEvents(t, st, serviceActions(5)...)
	if got := receive(t, stream(t, srv, "/events?after=0", ""), 5); ids(got) != "1,2,3,4,5" {
		t.Fatalf("after=0 streamed %s", ids(got))
	}
	if got := receive(t, stream(t, srv, "/events?after=3", ""), 2); ids(got) != "4,5" {
		t.Fatalf("after=3 streamed %s", ids(got))
	}

	appendEvents(t, st, serviceActions(3)...) // missed while disconnected
	// Last-Event-ID, sent by a reconnecting EventSource, wins over the
	// after parameter of the original URL.
	ch := stream(t, srv, "/events?after=0", "5")
	if got := receive(t, ch, 3); ids(got) != "6,7,8" {
		t.Fatalf("resumed with %s, want 6,7,8", ids(got))
	}
	appendEvents(t, st, serviceActions(1)...)
	if got := receive(t, ch, 1); ids(got) != "9" {
		t.Fatalf("then %s, want 9", ids(got))
	}
}

func TestStreamFilters(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)

	appendEvents(t, st,
		testEvent{state.DetailDeploymentStateChange, webArn, nil},                                                                            // 1
		testEvent{state.DetailHookStateChange, webDepArn, map[string]string{"serviceArn": webArn}},                                           // 2
		testEvent{state.DetailServiceAction, apiArn, nil},                                                                                    // 3
		testEvent{state.DetailTaskStateChange, webTaskArn, map[string]string{"group": "service:web", "clusterArn": arns.Cluster("default")}}, // 4
		testEvent{state.DetailTaskStateChange, arns.Task("default", "t2"), map[string]string{"group": "service:api", "clusterArn": arns.Cluster("default")}},
		testEvent{state.DetailTaskStateChange, arns.Task("other", "t3"), map[string]string{"group": "service:web", "clusterArn": arns.Cluster("other")}},
		testEvent{state.DetailServiceAction, webArn, nil}, // 7
	)
	tests := []struct {
		query string
		want  string
	}{
		{"", "1,2,3,4,5,6,7"},
		{"detailType=ECS+Service+Action", "3,7"},
		{"detailType=ECS+Service+Action&detailType=ECS+Hook+State+Change", "2,3,7"},
		{"resource=" + webArn, "1,2,4,7"},
		{"resource=" + webDepArn, "2"},
		{"resource=" + webTaskArn, "4"},
		{"resource=" + webArn + "&detailType=ECS+Service+Action", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			n := len(strings.Split(tt.want, ","))
			ch := stream(t, srv, "/events?after=0&"+tt.query, "")
			if got := receive(t, ch, n); ids(got) != tt.want {
				t.Fatalf("streamed %s, want %s", ids(got), tt.want)
			}
			select {
			case ev := <-ch:
				t.Fatalf("unexpected event %+v", ev)
			case <-time.After(30 * time.Millisecond):
			}
		})
	}
}

func TestStreamKeepalive(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len(": keepalive\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != ": keepalive\n\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
}

// TestStreamEndsOnShutdown checks that streams end when Run's context is
// done, so that the HTTP server can shut down.
func TestStreamEndsOnShutdown(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	stop := start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stop()
	done := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stream ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
}

// TestStreamBacklog checks that follow=false ends the stream once the
// retained events are sent.
func TestStreamBacklog(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	start(t, e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	appendEvents(t, st, serviceActions(3)...)
	resp, err := srv.Client().Get(srv.URL + "/events?after=1&follow=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body) // returns only if the server ends the stream
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\nevent: "); got != 2 || !strings.HasPrefix(string(b), "id: 2\n") {
		t.Errorf("backlog after 1 = %q, want events 2 and 3", b)
	}
}

func TestStreamBadRequests(t *testing.T) {
	st := openStore(t)
	e := newTestEvents(t, st)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	tests := []struct {
		name, method, query, lastEventID string
		status                           int
	}{
		{"after not a number", http.MethodGet, "?after=abc", "", http.StatusBadRequest},
		{"after negative", http.MethodGet, "?after=-1", "", http.StatusBadRequest},
		{"after empty", http.MethodGet, "?after=", "", http.StatusBadRequest},
		{"bad Last-Event-ID", http.MethodGet, "", "x1", http.StatusBadRequest},
		{"follow not a boolean", http.MethodGet, "?after=0&follow=maybe", "", http.StatusBadRequest},
		{"POST", http.MethodPost, "", "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/events"+tt.query, nil)
			if tt.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tt.lastEventID)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || body["__type"] != "InvalidParameterException" || body["message"] == "" ||
				resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%s %v", resp.Status, body)
			}
		})
	}
}
