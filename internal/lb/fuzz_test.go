package lb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lbOwnAnswers are the bodies of the 5xx answers the load balancer means
// (a target that failed or none to go to); ELBv2 answers these too.
var lbOwnAnswers = map[int]string{
	502: "502 Bad Gateway: ",
	503: "503 Service Unavailable: ",
	504: "504 Gateway Timeout: ",
}

// FuzzListener writes raw bytes to a listener forwarding to a healthy
// target and checks that the answers are well-formed HTTP responses, that
// none is a 5xx other than net/http's protocol refusals (501 for a
// Transfer-Encoding other than chunked, 505 for an HTTP version other
// than 1.x, both what ELBv2 answers) or the load balancer's own
// 502/503/504, and that the target receives nothing but requests as the
// listener framed them: in order, each one's method and body those that
// net/http's parser reads from the bytes.
func FuzzListener(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: app\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: app\r\n\r\nGET /b HTTP/1.1\r\nHost: app\r\n\r\n",
		"POST /p?q=1 HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: app\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
		"POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: app\r\nX-Folded: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: app\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
		"OPTIONS * HTTP/1.1\r\nHost: app\r\n\r\n",
		"GET http://other/x HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 10\r\n\r\nabc",
		"GET / HTTP/2.0\r\nHost: app\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	addr, rec := rawLB(f, Options{ReadHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second})
	// Each input comes from another loopback address, so that a request
	// of an earlier one the target records late is not taken for one of
	// this one's.
	var next atomic.Uint32
	f.Fuzz(func(t *testing.T, raw []byte) {
		if bytes.HasPrefix(raw, []byte("PRI")) {
			t.Skip("an HTTP/2 connection preface")
		}
		parsed := parseRequests(raw)
		methods := make([]string, len(parsed))
		for i, p := range parsed {
			methods[i] = p.method
		}
		n := next.Add(1)
		client := net.IPv4(127, byte(n>>8%200+1), byte(n), byte(n%250+2))
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: client}}
		conn, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(raw); err != nil {
			t.Fatal(err)
		}
		// The end of the bytes ends the connection's requests; the
		// server may still answer them.
		_ = conn.(*net.TCPConn).CloseWrite()
		br := bufio.NewReader(conn)
		resps, err := readResponses(br, methods, -1)
		switch {
		case err == nil, errors.Is(err, io.EOF):
		case errors.Is(err, syscall.ECONNRESET):
			// The server closed with bytes of ours unread: the kernel
			// resets the connection, and may drop what it answered.
		case errors.Is(err, os.ErrDeadlineExceeded):
			t.Fatalf("no end after %d answers", len(resps))
		default:
			t.Fatalf("after %d answers: malformed answer: %v", len(resps), err)
		}
		for i, r := range resps {
			switch {
			case r.status < 500 || r.status == 501 || r.status == 505:
			case strings.HasPrefix(r.body, lbOwnAnswers[r.status]) && lbOwnAnswers[r.status] != "":
			default:
				t.Errorf("answer %d: %d %q", i, r.status, r.body)
			}
		}

		// The target saw a subsequence of the requests in the bytes (some
		// are answered by the listener, the rest after one it refuses
		// are never read), each framed as net/http frames it.
		got := rec.takeFrom(client.String())
		j := 0
		for _, g := range got {
			for j < len(parsed) && (parsed[j].method != g.method || parsed[j].body != g.body) {
				j++
			}
			if j == len(parsed) {
				t.Fatalf("the target got %s %s with body %q, not one of the requests %+v", g.method, g.uri, g.body, parsed)
			}
			j++
		}
	})
}
