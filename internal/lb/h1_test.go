package lb

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawTarget is a target that reads each request head and answers it with
// the next of its canned raw responses, closing the connection after the
// ones marked so; it counts the connections it accepted.
type rawTarget struct {
	ln    net.Listener
	conns atomic.Int32
}

// cannedResponse is a raw response and whether the target closes the
// connection once it is written.
type cannedResponse struct {
	raw   string
	close bool
}

func newRawTarget(t testing.TB, answer func(head string) cannedResponse) *rawTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &rawTarget{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rt.conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					head, err := readHead(br, nil, 1<<20)
					if err != nil {
						return
					}
					res := answer(string(head))
					if _, err := io.WriteString(c, res.raw); err != nil || res.close {
						return
					}
				}
			}()
		}
	}()
	return rt
}

func (rt *rawTarget) target() Target { return hostPort(rt.ln.Addr().String()) }

// TestFastPathResponseFraming: whatever framing the target answers with,
// the client gets the whole response with its hop-by-hop fields removed,
// and its keep-alive connection stays usable for the next request.
func TestFastPathResponseFraming(t *testing.T) {
	for _, tt := range []struct {
		name, method, raw string
		targetCloses      bool
		status            int
		body              string
		absent            string // a header the client must not see
	}{
		{name: "content length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", status: 200, body: "hello"},
		{name: "chunked with trailers", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n", status: 200, body: "hello", absent: "Trailer"},
		{name: "until close", raw: "HTTP/1.1 200 OK\r\n\r\nhello", targetCloses: true, status: 200, body: "hello"},
		{name: "HTTP/1.0 target", raw: "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", targetCloses: true, status: 200, body: "hello"},
		{name: "head", method: http.MethodHead, raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", status: 200},
		{name: "no content", raw: "HTTP/1.1 204 No Content\r\n\r\n", status: 204},
		{name: "not modified", raw: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", status: 304},
		{name: "early hints first", raw: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", status: 200, body: "ok"},
		{name: "connection-listed field", raw: "HTTP/1.1 200 OK\r\nConnection: X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok", status: 200, body: "ok", absent: "X-Secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRawTarget(t, func(string) cannedResponse { return cannedResponse{raw: tt.raw, close: tt.targetCloses} })
			b := newTestBalancer(t, Options{})
			mustApply(t, b, oneListener(1, forwardTo("g"), group("g", rt.target())))
			addr := strings.TrimPrefix(listenerURL(t, b, "l1"), "http://")
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req := method + " / HTTP/1.1\r\nHost: app\r\n\r\n"
			resps, closed := exchange(t, addr, req+req, 2, method, method)
			if closed {
				t.Error("the load balancer closed the client's connection")
			}
			for i, r := range resps {
				if r.status != tt.status || r.body != tt.body {
					t.Errorf("response %d: %d %q, want %d %q", i, r.status, r.body, tt.status, tt.body)
				}
				if tt.absent != "" && r.header.Get(tt.absent) != "" {
					t.Errorf("response %d has %s: %q", i, tt.absent, r.header.Get(tt.absent))
				}
				if r.header.Get("Keep-Alive") != "" || r.header.Get("Connection") != "" {
					t.Errorf("response %d passes on hop-by-hop fields: %v", i, r.header)
				}
			}
		})
	}
}

// TestFastPathHandsOverWhatItDoesNotTake: requests the fast path leaves
// to net/http (chunked, Expect, HTTP/1.0, absolute-form, obs-fold) are
// answered as before, on the same connection as plain ones before them.
func TestFastPathHandsOverWhatItDoesNotTake(t *testing.T) {
	addr, rec := rawLB(t, Options{})
	plain := "GET /plain HTTP/1.1\r\nHost: app\r\n\r\n"
	for _, tt := range []struct {
		name, raw, body string
	}{
		{"chunked", "POST /c HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "hello"},
		{"expect", "POST /e HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello", "hello"},
		{"HTTP/1.0", "POST /o HTTP/1.0\r\nHost: app\r\nContent-Length: 5\r\n\r\nhello", "hello"},
		{"absolute form", "GET http://app/a HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n", ""},
		{"obs-fold", "GET /f HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			resps, _ := exchange(t, addr, plain+tt.raw, 2)
			if len(resps) != 2 || resps[0].status != 200 || resps[1].status != 200 {
				t.Fatalf("answers %+v, want two 200s", resps)
			}
			got := rec.take()
			if len(got) != 2 || got[0].uri != "/plain" || got[1].body != tt.body {
				t.Errorf("the target got %+v", got)
			}
		})
	}
}

// TestFastPathRetriesAStaleConnection: a target that closes each
// keep-alive connection after one response, without saying so, costs a
// bodyless idempotent request nothing: it is sent again on a new
// connection.
func TestFastPathRetriesAStaleConnection(t *testing.T) {
	rt := newRawTarget(t, func(string) cannedResponse {
		return cannedResponse{raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true}
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", rt.target())))
	url, c := listenerURL(t, b, "l1"), oneShotClient(t)
	for i := range 5 {
		if status, body, _ := get(t, c, url); status != 200 {
			t.Fatalf("request %d: %d %q", i, status, body)
		}
		time.Sleep(10 * time.Millisecond) // the target's close arrives
	}
	if n := rt.conns.Load(); n < 5 {
		t.Errorf("the target saw %d connections for 5 requests on connections it closed", n)
	}
}

// TestFastPathReusesTargetConnections: sequential requests from many
// client connections share a few keep-alive connections to the target.
func TestFastPathReusesTargetConnections(t *testing.T) {
	rt := newRawTarget(t, func(string) cannedResponse {
		return cannedResponse{raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", rt.target())))
	url, c := listenerURL(t, b, "l1"), oneShotClient(t)
	for range 20 {
		if status, _, _ := get(t, c, url); status != 200 {
			t.Fatalf("answer %d", status)
		}
	}
	// One connection for the requests, one for the health checker.
	if n := rt.conns.Load(); n > 2 {
		t.Errorf("20 sequential requests opened %d connections to the target, want 1 (and the health checker's)", n)
	}
}

// oneShotClient opens a new connection for each request.
func oneShotClient(t testing.TB) *http.Client {
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestAlive: an idle connection is alive until its peer closes it or
// sends bytes nobody asked for.
func TestAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			peers <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer := <-peers
	if !alive(c) {
		t.Fatal("an open idle connection is not alive")
	}
	_, _ = peer.Write([]byte("x"))
	eventually(t, "stray bytes to make it not alive", func() bool { return !alive(c) })
	_, _ = c.Read(make([]byte, 1))
	peer.Close()
	eventually(t, "the peer's close to make it not alive", func() bool { return !alive(c) })
}
