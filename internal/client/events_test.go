package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func envelope(detailType, resource string) string {
	return fmt.Sprintf(`{"version":"0","id":"e","detail-type":%q,"source":"aws.ecs","account":"000000000000","time":"2026-03-01T12:00:00Z","region":"us-east-1","resources":[%q],"detail":{"eventName":"X"}}`,
		detailType, resource)
}

func TestReadSSE(t *testing.T) {
	stream := "retry: 1000\n: keepalive\n\nid: 7\nevent: A\ndata: {\"a\":\ndata: 1}\n\n" +
		"data: no id, keeps 7\r\n\r\nid: 9\nevent:B\ndata:x\n\ntrailing without blank line"
	type ev struct{ id, typ, data string }
	var got []ev
	err := readSSE(strings.NewReader(stream), func(id, typ string, data []byte) error {
		got = append(got, ev{id, typ, string(data)})
		return nil
	})
	want := []ev{{"7", "A", "{\"a\":\n1}"}, {"7", "", "no id, keeps 7"}, {"9", "B", "x"}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readSSE = %q, %v; want %q", got, err, want)
	}
}

// TestEventsResumeAfterADisconnect serves two events, drops the
// connection, and expects the client to come back with Last-Event-ID and
// the same filters.
func TestEventsResumeAfterADisconnect(t *testing.T) {
	var mu sync.Mutex
	var requests []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r)
		n := len(requests)
		mu.Unlock()
		if r.URL.Path != EventsPath {
			t.Errorf("path %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 1:
			fmt.Fprintf(w, "id: 1\nevent: %s\ndata: %s\n\n", DetailHookStateChange, envelope(DetailHookStateChange, "arn:d"))
			fmt.Fprintf(w, "id: 2\nevent: %s\ndata: %s\n\n", DetailAuditRecord, envelope(DetailAuditRecord, "arn:s"))
		case 2:
			fmt.Fprintf(w, "id: 3\nevent: %s\ndata: %s\n\n", DetailHookStateChange, envelope(DetailHookStateChange, "arn:d"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	c, _ := New(Options{Endpoint: srv.URL})
	var reconnects int
	s := c.Events(context.Background(), EventQuery{
		FromStart: true, DetailTypes: []string{DetailHookStateChange, DetailAuditRecord}, Resource: "arn:s",
		OnReconnect: func(error) { reconnects++ },
	})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for want := uint64(1); want <= 3; want++ {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("event %d: %v", want, err)
		}
		if ev.Seq != want || ev.Envelope.Region != "us-east-1" || len(ev.Raw) == 0 {
			t.Errorf("event %d: %+v", want, ev)
		}
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if ev, err := s.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("after the last event: %+v, %v; want a wait until the deadline", ev, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) != 2 || reconnects != 1 {
		t.Fatalf("%d requests, %d reconnects", len(requests), reconnects)
	}
	first, second := requests[0], requests[1]
	if first.Header.Get("Last-Event-ID") != "0" || second.Header.Get("Last-Event-ID") != "2" {
		t.Errorf("Last-Event-ID %q then %q, want 0 then 2", first.Header.Get("Last-Event-ID"), second.Header.Get("Last-Event-ID"))
	}
	for _, r := range requests {
		q := r.URL.Query()
		if len(q["detailType"]) != 2 || q.Get("resource") != "arn:s" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
	}
}

func TestEventsFromNowSendNoResumePoint(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- fmt.Sprintf("%q %q", r.Header.Get("Last-Event-ID"), r.URL.RawQuery)
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := New(Options{Endpoint: srv.URL})
	s := c.Events(context.Background(), EventQuery{})
	if g := <-got; g != `"" ""` {
		t.Errorf("request %s", g)
	}
	s.Close()
	if _, err := s.Next(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after Close: %v", err)
	}
}

func TestEventsBacklogEnds(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Query().Get("follow") != "false" {
			t.Errorf("query %s, want follow=false", r.URL.RawQuery)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "id: 7\nevent: %s\ndata: %s\n\n", DetailAuditRecord, envelope(DetailAuditRecord, "arn:s"))
	}))
	defer srv.Close()
	c, _ := New(Options{Endpoint: srv.URL})
	s := c.Events(context.Background(), EventQuery{FromStart: true, Backlog: true})
	defer s.Close()
	if ev, err := s.Next(context.Background()); err != nil || ev.Seq != 7 {
		t.Fatalf("first event: %+v, %v", ev, err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("after the backlog: %v, want io.EOF", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests: the end of the backlog is not a reason to reconnect", n)
	}
}

func TestEventsFirstConnectionError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"InvalidParameterException","message":"Last-Event-ID \"x\" is not an event ID"}`)
	}))
	defer srv.Close()
	c, _ := New(Options{Endpoint: srv.URL})
	s := c.Events(context.Background(), EventQuery{})
	defer s.Close()
	_, err := s.Next(context.Background())
	if !IsType(err, "InvalidParameterException") {
		t.Errorf("Next = %v", err)
	}
}

func TestLogDelta(t *testing.T) {
	const w = 8
	cases := []struct {
		name, prev, cur, delta string
		ok                     bool
	}{
		{"short log grows", "abc", "abcde", "de", true},
		{"short log unchanged", "abc", "abc", "", true},
		{"short log replaced", "abc", "xyz", "xyz", false},
		{"window slides", "01234567", "3456789A", "89A", true},
		{"window slides by one", "01234567", "12345678", "8", true},
		{"window slides, overlap repeats itself", "xyabxyab", "xyabQ", "Q", true},
		{"window unchanged", "01234567", "01234567", "", true},
		{"more than a window written", "01234567", "ABCDEFGH", "ABCDEFGH", false},
		{"repeated output: longest overlap", "abababab", "abababab", "", true},
		{"empty", "", "", "", true},
		{"first read", "", "hello", "hello", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := LogDelta([]byte(tc.prev), []byte(tc.cur), w)
			if string(d) != tc.delta || ok != tc.ok {
				t.Errorf("LogDelta(%q, %q) = %q, %v; want %q, %v", tc.prev, tc.cur, d, ok, tc.delta, tc.ok)
			}
		})
	}
}

func TestLogs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.EscapedPath() != LogsPath+"demo/t%2F1/web" || r.URL.Query().Get("bytes") != "100" {
			t.Errorf("request %s", r.URL)
		}
		http.Error(w, "task not found", http.StatusNotFound)
	}))
	defer srv.Close()
	c, _ := New(Options{Endpoint: srv.URL})
	_, err := c.Logs(context.Background(), "demo", "t/1", "web", 100)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "task not found" {
		t.Errorf("Logs = %v", err)
	}
}
