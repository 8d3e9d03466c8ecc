package lb

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestForwardedHeaders(t *testing.T) {
	be := newBackend(t, "a", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "for=%s proto=%s port=%s host=%s", r.Header.Get("X-Forwarded-For"),
			r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"), r.Host)
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	base := listenerURL(t, b, "l1")
	port := base[strings.LastIndexByte(base, ':')+1:]

	req, _ := http.NewRequest(http.MethodGet, base+"/", nil)
	req.Host = "app.example.com"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	req.Header.Set("X-Forwarded-Proto", "https") // a client cannot spoof it
	res, err := newClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := "for=203.0.113.7, 127.0.0.1 proto=http port=" + port + " host=app.example.com"
	if string(body) != want {
		t.Errorf("backend saw %q, want %q", body, want)
	}
}

func TestKeepAliveToTargets(t *testing.T) {
	var conns atomic.Int32
	be := newBackendWith(t, "a", nil, func(s *http.Server) {
		s.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	c, base := newClient(t), listenerURL(t, b, "l1")
	for range 50 {
		if code, _, _ := get(t, c, base+"/"); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("50 sequential requests opened %d connections to the target, want 1", n)
	}
}

func TestFixedResponseAndNoTarget(t *testing.T) {
	b := newTestBalancer(t, Options{})
	cfg := oneListener(1, forwardTo("empty"), group("empty"), group("zero", Target{Host: "127.0.0.1", Port: 1}))
	cfg.Listeners[0].Rules = []Rule{
		{ARN: "fixed", Priority: 1, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/fixed"}}},
			Actions: []Action{{Type: ActionFixedResponse, FixedResponse: &FixedResponse{StatusCode: 418, ContentType: "application/json", MessageBody: `{"tea":true}`}}}},
		{ARN: "zero", Priority: 2, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/zero"}}},
			Actions: []Action{forward(WeightedTargetGroup{ARN: "zero", Weight: 0})}},
	}
	mustApply(t, b, cfg)
	c, base := newClient(t), listenerURL(t, b, "l1")
	res, err := c.Get(base + "/fixed")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 418 || res.Header.Get("Content-Type") != "application/json" || string(body) != `{"tea":true}` {
		t.Errorf("fixed response = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if code, _, _ := get(t, c, base+"/"); code != http.StatusServiceUnavailable {
		t.Errorf("group without targets answered %d, want 503", code)
	}
	if code, _, _ := get(t, c, base+"/zero"); code != http.StatusServiceUnavailable {
		t.Errorf("forward with only weight 0 answered %d, want 503", code)
	}
}

func TestRetryOnConnectionRefused(t *testing.T) {
	for _, version := range []string{"HTTP1", "HTTP2"} {
		t.Run(version, func(t *testing.T) { testRetry(t, version) })
	}
}

func testRetry(t *testing.T, version string) {
	alive := newBackendWith(t, "alive", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, body)
	}, func(s *http.Server) {
		s.Protocols = new(http.Protocols)
		s.Protocols.SetHTTP1(true)
		s.Protocols.SetUnencryptedHTTP2(true)
	})
	dead := refusedTarget(t)
	b := newTestBalancer(t, Options{})
	tg := group("g", dead, alive.target())
	tg.ProtocolVersion = version
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	c, base := newClient(t), listenerURL(t, b, "l1")

	for i := range 20 {
		if code, body, _ := get(t, c, base+"/"); code != 200 || body != "GET " {
			t.Fatalf("GET %d: %d %q", i, code, body)
		}
	}
	for i := range 10 {
		req, _ := http.NewRequest(http.MethodPut, base+"/", strings.NewReader("payload-"+strconv.Itoa(i)))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := "PUT payload-" + strconv.Itoa(i); res.StatusCode != 200 || string(body) != want {
			t.Fatalf("PUT %d: %d %q, want 200 %q", i, res.StatusCode, body, want)
		}
	}
	if st := statsOf(b, "g", dead); st.Errors == 0 || st.InFlight != 0 {
		t.Errorf("dead target stats = %+v, want errors and nothing in flight", st)
	}

	// POST is not idempotent: round robin sends every other one to the
	// dead target, and those fail.
	failed := 0
	for range 10 {
		res, err := c.Post(base+"/", "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusBadGateway:
			failed++
		case http.StatusOK:
		default:
			t.Fatalf("POST answered %d", res.StatusCode)
		}
	}
	if failed != 5 {
		t.Errorf("%d of 10 POSTs failed, want 5 (no retry of POST)", failed)
	}
}

func TestBadGatewayAndTimeout(t *testing.T) {
	hangup := newBackend(t, "hangup", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	release := make(chan struct{})
	slow := newBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	b := newTestBalancer(t, Options{RequestTimeout: 200 * time.Millisecond})
	cfg := oneListener(1, forwardTo("hangup"), group("hangup", hangup.target()), group("slow", slow.target()))
	cfg.Listeners[0].Rules = []Rule{{ARN: "slow", Priority: 1,
		Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/slow"}}}, Actions: []Action{forwardTo("slow")}}}
	mustApply(t, b, cfg)
	c, base := newClient(t), listenerURL(t, b, "l1")
	if code, _, _ := get(t, c, base+"/"); code != http.StatusBadGateway {
		t.Errorf("a target that hangs up answered %d, want 502", code)
	}
	start := time.Now()
	if code, _, _ := get(t, c, base+"/slow"); code != http.StatusGatewayTimeout {
		t.Errorf("a target slower than the request timeout answered %d, want 504", code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("504 took %v", d)
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	const guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	be := newBackend(t, "ws", func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "not an upgrade", http.StatusBadRequest)
			return
		}
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + guid))
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		brw.Flush()
		for { // echo lines, upper-cased
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			brw.WriteString(strings.ToUpper(line))
			brw.Flush()
		}
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	u, _ := url.Parse(listenerURL(t, b, "l1"))

	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(conn, "GET /chat HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", u.Host, key)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(key + guid))
	if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("handshake answered %d %v", res.StatusCode, res.Header)
	}
	for _, msg := range []string{"hello\n", "over the upgraded connection\n"} {
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		got, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if got != strings.ToUpper(msg) {
			t.Errorf("echo = %q, want %q", got, strings.ToUpper(msg))
		}
	}
	if st := statsOf(b, "g", be.target()); st.InFlight != 1 {
		t.Errorf("in flight during the upgraded connection = %d, want 1", st.InFlight)
	}
	conn.Close()
	eventually(t, "the upgraded connection to leave in-flight", func() bool { return statsOf(b, "g", be.target()).InFlight == 0 })
}

func TestH2C(t *testing.T) {
	// An h2c target group (ProtocolVersion HTTP2) behind an h2c client.
	be := newBackendWith(t, "h2", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "target saw HTTP/%d", r.ProtoMajor)
	}, func(s *http.Server) {
		s.Protocols = new(http.Protocols)
		s.Protocols.SetHTTP1(true)
		s.Protocols.SetUnencryptedHTTP2(true)
	})
	h1 := newBackend(t, "h1", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "target saw HTTP/%d", r.ProtoMajor)
	})

	b := newTestBalancer(t, Options{})
	h2group := group("h2", be.target())
	h2group.ProtocolVersion = "HTTP2"
	cfg := oneListener(1, forwardTo("h1"), group("h1", h1.target()), h2group)
	cfg.Listeners[0].Rules = []Rule{{ARN: "h2", Priority: 1,
		Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/h2"}}}, Actions: []Action{forwardTo("h2")}}}
	mustApply(t, b, cfg)
	base := listenerURL(t, b, "l1")

	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for path, want := range map[string]string{"/": "target saw HTTP/1", "/h2": "target saw HTTP/2"} {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("h2c GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.ProtoMajor != 2 {
			t.Errorf("GET %s: the listener answered HTTP/%d, want HTTP/2", path, res.ProtoMajor)
		}
		if string(body) != want {
			t.Errorf("GET %s = %q, want %q", path, body, want)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	be := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{IdleTimeout: 200 * time.Millisecond})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	u, _ := url.Parse(listenerURL(t, b, "l1"))
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection read = %v, want EOF", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
		t.Errorf("idle connection closed after %v, want about 200ms", d)
	}
}
