package lb

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// benchConfig is a realistic listener: a dozen rules of every condition
// type ahead of a weighted blue/green forward, as a blue/green service
// behind a shared load balancer has.
func benchConfig() Config {
	tgt := func(i int) Target { return Target{Host: "10.0.0." + strconv.Itoa(i), Port: 8080} }
	groups := []TargetGroup{
		group("blue", tgt(1), tgt(2), tgt(3), tgt(4)),
		group("green", tgt(5), tgt(6), tgt(7), tgt(8)),
		group("static", tgt(9)),
	}
	rule := func(prio int, a Action, conds ...Condition) Rule {
		return Rule{ARN: "r" + strconv.Itoa(prio), Priority: prio, Conditions: conds, Actions: []Action{a}}
	}
	path := func(v ...string) Condition { return Condition{Field: FieldPathPattern, Values: v} }
	host := func(v ...string) Condition { return Condition{Field: FieldHostHeader, Values: v} }
	weighted := forward(WeightedTargetGroup{ARN: "blue", Weight: 900}, WeightedTargetGroup{ARN: "green", Weight: 100})
	return Config{
		Version: 1,
		Listeners: []Listener{{
			ARN: "l1", Address: "127.0.0.1:0", Protocol: "HTTP",
			DefaultActions: []Action{fixed(404, "not found")},
			Rules: []Rule{
				rule(1, fixed(503, "maintenance"), Condition{Field: FieldHTTPHeader, HeaderName: "X-Maintenance", Values: []string{"on"}}),
				rule(2, forwardTo("green"), Condition{Field: FieldHTTPHeader, HeaderName: "X-Canary", Values: []string{"true", "yes"}}),
				rule(3, forwardTo("green"), Condition{Field: FieldQueryString, QueryStrings: []KeyValue{{Key: "preview", Value: "green*"}}}),
				rule(4, fixed(403, "no"), host("admin.example.com"), path("/admin/*")),
				rule(5, forwardTo("static"), path("/static/*", "/assets/*", "*.css", "*.js")),
				rule(6, forwardTo("static"), path("/img/????-*.png")),
				rule(7, fixed(200, "ok"), path("/healthz")),
				rule(8, forwardTo("blue"), host("legacy.example.com")),
				rule(9, forwardTo("blue"), Condition{Field: FieldHTTPRequestMethod, Values: []string{"PURGE"}}),
				rule(10, weighted, host("shop.example.com", "www.shop.example.com"), path("/api/v2/*")),
				rule(11, weighted, host("*.example.com")),
			},
		}},
		TargetGroups: groups,
	}
}

func benchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v2/orders/17?page=2&sort=date", nil)
	r.Host = "shop.example.com"
	r.Header.Set("User-Agent", "Mozilla/5.0")
	r.Header.Set("Accept", "application/json")
	r.Header.Set("X-Canary", "false")
	return r
}

// routeOnce is the hot path under test: rules, weighted group, target.
func routeOnce(l *listenerSnap, r *http.Request) *target {
	a := l.route(r)
	g := a.pickGroup()
	if g == nil {
		return nil
	}
	return g.pickTarget(nil)
}

func TestRouteDoesNotAllocate(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	s := buildFor(t, b, benchConfig())
	l, r := s.listeners["127.0.0.1:0"], benchRequest()
	if routeOnce(l, r) == nil {
		t.Fatal("the bench request routes nowhere")
	}
	if n := testing.AllocsPerRun(1000, func() { routeOnce(l, r) }); n != 0 {
		t.Errorf("routing allocates %v times per request, want 0", n)
	}
}

func BenchmarkRoute(b *testing.B) {
	bal := New(Options{Logger: testLogger(b)})
	s := buildFor(b, bal, benchConfig())
	l, r := s.listeners["127.0.0.1:0"], benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		if routeOnce(l, r) == nil {
			b.Fatal("no target")
		}
	}
}

func BenchmarkProxy(b *testing.B) {
	body := []byte("hello from the benchmark backend\n")
	be := newBackend(b, "a", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})
	bal := newTestBalancer(b, Options{})
	mustApply(b, bal, oneListener(1, forwardTo("g"), group("g", be.target())))
	url := listenerURL(b, bal, "l1") + "/"
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkFastPath measures the proxy alone: the client and the target
// speak raw HTTP/1.1 over keep-alive connections and allocate nothing
// per request, so the allocations reported are the load balancer's.
func BenchmarkFastPath(b *testing.B) {
	const answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 33\r\n\r\nhello from the benchmark backend\n"
	rt := newRawTargetLoop(b, answer)
	bal := newTestBalancer(b, Options{})
	mustApply(b, bal, oneListener(1, forwardTo("g"), group("g", rt)))
	addr := strings.TrimPrefix(listenerURL(b, bal, "l1"), "http://")
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		var head []byte
		for pb.Next() {
			if _, err := c.Write(req); err != nil {
				b.Error(err)
				return
			}
			if head, err = readHead(br, head[:0], 1<<16); err != nil {
				b.Error(err)
				return
			}
			if !bytes.HasPrefix(head, []byte("HTTP/1.1 200 ")) {
				b.Errorf("answer %q", head)
				return
			}
			if _, err := br.Discard(33); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// newRawTargetLoop is a keep-alive target that answers every request
// with answer, allocating nothing per request.
func newRawTargetLoop(t testing.TB, answer string) Target {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := []byte(answer)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				var head []byte
				var err error
				for {
					if head, err = readHead(br, head[:0], 1<<16); err != nil {
						return
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return hostPort(ln.Addr().String())
}
