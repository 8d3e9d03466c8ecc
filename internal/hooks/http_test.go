package hooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/signature"
)

var testEvent = []byte(`{"executionId":"e1","lifecycleStage":"POST_TEST_TRAFFIC_SHIFT","hookDetails":{}}`)

// newInvoker returns an Invoker with a short timeout for tests.
func newInvoker(t *testing.T, cfg Config) *Invoker {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 200 * time.Millisecond
	}
	inv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// hang answers nothing until the client goes away. It reads the body
// first: only then does the server notice a closed connection.
func hang(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func TestURLHookReply(t *testing.T) {
	secret := []byte("s3cret")
	var got struct {
		body               []byte
		contentType, agent string
		verify             error
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.body, _ = io.ReadAll(r.Body)
		got.contentType, got.agent = r.Header.Get("Content-Type"), r.Header.Get("User-Agent")
		got.verify = signature.Verify(r.Header, secret, got.body, time.Now())
		io.WriteString(w, `{"hookStatus":"SUCCEEDED"}`)
	}))
	defer srv.Close()

	inv := newInvoker(t, Config{SigningSecret: secret})
	reply, err := inv.Invoke(context.Background(), srv.URL+"/hook", testEvent)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply) != `{"hookStatus":"SUCCEEDED"}` {
		t.Errorf("reply %q", reply)
	}
	if !bytes.Equal(got.body, testEvent) {
		t.Errorf("server got body %q", got.body)
	}
	if got.contentType != "application/json" || got.agent != "cutover" {
		t.Errorf("Content-Type %q, User-Agent %q", got.contentType, got.agent)
	}
	if got.verify != nil {
		t.Errorf("signature: %v", got.verify)
	}
}

func TestURLHookErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string // the error after "invoking URL: "
		is      error
		timeout time.Duration // zero means 200ms
	}{
		{
			name: "status",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "down for\n  maintenance\n")
			},
			want: "HTTP 503 Service Unavailable: down for maintenance",
		},
		{
			name: "status with a long body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, strings.Repeat("x", 100_000))
			},
			want: "HTTP 500 Internal Server Error: " + strings.Repeat("x", 256) + "…",
		},
		{
			name: "status without body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
			},
			want: "HTTP 403 Forbidden",
		},
		{
			name:    "hang",
			handler: hang,
			want:    "timed out after 200ms",
			is:      ErrTimeout,
		},
		{
			name: "hang after headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				io.WriteString(w, `{"hookStatus":`)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			want: "timed out after 200ms",
			is:   ErrTimeout,
		},
		{
			name: "huge reply",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Write(make([]byte, MaxReplyBytes+1))
			},
			want:    "reply larger than 6 MB",
			is:      ErrReplyTooLarge,
			timeout: 5 * time.Second, // time enough to send 6 MB with -race
		},
		{
			name: "connection closed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
			},
			want: "connection closed before the reply was complete",
		},
		{
			name: "connection closed mid-body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"hook")
				buf.Flush()
				conn.Close()
			},
			want: "connection closed before the reply was complete",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			inv := newInvoker(t, Config{Timeout: tt.timeout})
			start := time.Now()
			reply, err := inv.Invoke(context.Background(), srv.URL+"/hook", testEvent)
			if elapsed := time.Since(start); elapsed > inv.timeout+time.Second {
				t.Errorf("took %s, with a timeout of %s", elapsed, inv.timeout)
			}
			want := "invoking " + srv.URL + "/hook: " + tt.want
			if err == nil || err.Error() != want {
				t.Fatalf("Invoke = %q, %v\nwant error %q", reply, err, want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestURLHookConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	inv := newInvoker(t, Config{})
	_, err := inv.Invoke(context.Background(), "http://"+addr+"/hook", testEvent)
	want := "invoking http://" + addr + "/hook: dial tcp " + addr + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("Invoke = %v, want %q", err, want)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error does not wrap the *net.OpError")
	}
}

func TestURLHookErrorHidesPassword(t *testing.T) {
	addr := closedAddr(t)
	inv := newInvoker(t, Config{})
	_, err := inv.Invoke(context.Background(), "http://ci:hunter2@"+addr+"/hook", testEvent)
	if err == nil || strings.Contains(err.Error(), "hunter2") ||
		!strings.HasPrefix(err.Error(), "invoking http://ci:xxxxx@"+addr+"/hook: ") {
		t.Fatalf("Invoke = %v", err)
	}
}

func TestURLHookCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hang))
	defer srv.Close()
	inv := newInvoker(t, Config{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := inv.Invoke(ctx, srv.URL, testEvent)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke = %v, want the caller's deadline, not the hook timeout", err)
	}
}
