package lb

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is a request a recorder received whole.
type recorded struct {
	method, uri string
	header      http.Header
	body        string
	client      string // the last address in X-Forwarded-For
}

// recorder is a target that records every request it reads whole and
// answers "ok".
type recorder struct {
	*backend
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t testing.TB) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.backend = newBackend(t, "rec", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			// The proxy gave up on this request: it was never whole.
			return
		}
		rec.mu.Lock()
		xff := r.Header.Get("X-Forwarded-For")
		client := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
		rec.reqs = append(rec.reqs, recorded{method: r.Method, uri: r.RequestURI, header: r.Header, body: string(body), client: client})
		rec.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})
	return rec
}

// take returns the requests recorded so far and forgets them.
func (rec *recorder) take() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	reqs := rec.reqs
	rec.reqs = nil
	return reqs
}

// takeFrom returns the requests recorded so far from client address ip
// and forgets all.
func (rec *recorder) takeFrom(ip string) []recorded {
	var out []recorded
	for _, r := range rec.take() {
		if r.client == ip {
			out = append(out, r)
		}
	}
	return out
}

// rawLB returns the address of a listener forwarding every request to a
// recorder.
func rawLB(t testing.TB, o Options) (string, *recorder) {
	t.Helper()
	rec := newRecorder(t)
	b := newTestBalancer(t, o)
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", rec.target())))
	return strings.TrimPrefix(listenerURL(t, b, "l1"), "http://"), rec
}

// rawResponse is a response read off a raw connection, body included.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// readResponses reads the responses to requests of the given methods
// (GET for those past the list) until the connection ends, fails, a
// response closes it or n responses came (n < 0: no limit). It skips
// interim (1xx) responses.
func readResponses(br *bufio.Reader, methods []string, n int) ([]rawResponse, error) {
	var out []rawResponse
	for n < 0 || len(out) < n {
		method := http.MethodGet
		if len(out) < len(methods) {
			method = methods[len(out)]
		}
		if _, err := br.Peek(1); err != nil {
			return out, err // io.EOF: the connection ended between responses
		}
		res, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			return out, err
		}
		if res.StatusCode >= 100 && res.StatusCode < 200 && res.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		out = append(out, rawResponse{status: res.StatusCode, header: res.Header, body: string(body)})
		if err != nil {
			return out, err
		}
		if method == http.MethodConnect && res.StatusCode/100 == 2 || res.StatusCode == http.StatusSwitchingProtocols {
			return out, nil // a tunnel now, no more responses
		}
		if res.Close {
			// The last one. (net/http's answer to a request it cannot
			// read has a body even when the request was a HEAD.)
			return out, nil
		}
	}
	return out, nil
}

// exchange writes raw to a new connection to addr, reads n responses
// and reports whether the server then closed the connection.
func exchange(t *testing.T, addr, raw string, n int, methods ...string) ([]rawResponse, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resps, err := readResponses(br, methods, n)
	if err != nil {
		t.Fatalf("after %d responses: %v", len(resps), err)
	}
	return resps, closedByServer(t, conn, br)
}

// closedByServer reports whether the server closes conn (within half a
// second) rather than waiting for another request.
func closedByServer(t *testing.T, conn net.Conn, br *bufio.Reader) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	b, err := br.ReadByte()
	switch {
	case err == nil:
		rest, _ := br.Peek(br.Buffered())
		t.Fatalf("unexpected bytes after the responses: %q", append([]byte{b}, rest...))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false
	}
	return true
}

// parsedRequest is a request read with net/http's own parser.
type parsedRequest struct {
	method, body string
}

// parseRequests reads the requests in raw as the listener's server
// does, up to the first that cannot be read whole.
func parseRequests(raw []byte) []parsedRequest {
	br := bufio.NewReader(bytes.NewReader(raw))
	var out []parsedRequest
	last := ""
	for {
		if last == http.MethodPost {
			// net/http's server tolerates a CRLF after a POST's body.
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			_, _ = br.Discard(n)
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return out
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return out
		}
		out = append(out, parsedRequest{method: req.Method, body: string(body)})
		if req.Close || req.ProtoMajor != 1 {
			return out
		}
		last = req.Method
	}
}
