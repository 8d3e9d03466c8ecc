package lb

import (
	"net/http"
	"strings"
	"testing"
)

// TestSmuggling sends ambiguous or malformed requests as raw bytes and
// checks what the listener answers, whether it closes the connection and
// what the target receives: nothing but the requests the listener framed.
func TestSmuggling(t *testing.T) {
	addr, rec := rawLB(t, Options{})
	const host = "Host: app\r\n"
	tests := []struct {
		name   string
		raw    string
		status []int // the answers, in order
		closed bool  // the listener closes the connection after them
		// bodies are the bodies of the requests the target receives.
		bodies []string
		// header, when set, is a header the target must see with value.
		header, value string
	}{
		{
			name:   "content-length",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello",
			status: []int{200}, bodies: []string{"hello"},
		},
		{
			name: "pipelined",
			raw: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello" +
				"GET /next HTTP/1.1\r\n" + host + "\r\n",
			status: []int{200, 200}, bodies: []string{"hello", ""},
		},
		{
			// CL.TE: a front end framing by Content-Length would see one
			// request; the listener frames by Transfer-Encoding (RFC 9112
			// §6.3), drops Content-Length and closes the connection after
			// the answer, so the request behind the chunked body is never
			// read.
			name: "content-length and chunked",
			raw: "POST / HTTP/1.1\r\n" + host + "Content-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"0\r\n\r\nGET /smuggled HTTP/1.1\r\n" + host + "\r\n",
			status: []int{200}, closed: true, bodies: []string{""},
		},
		{
			// TE.CL: the chunked body wins over a shorter Content-Length.
			name: "chunked and content-length",
			raw: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" +
				"5\r\nhello\r\n0\r\n\r\n",
			status: []int{200}, closed: true, bodies: []string{"hello"},
		},
		{
			name:   "chunked",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			status: []int{200}, closed: true, bodies: []string{"hello"},
		},
		{
			name:   "different content-lengths",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
			status: []int{400}, closed: true,
		},
		{
			name:   "content-length list",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\nhello!",
			status: []int{400}, closed: true,
		},
		{
			name:   "content-length not a number",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello",
			status: []int{400}, closed: true,
		},
		{
			// Equal values are one length (RFC 9110 §8.6).
			name:   "same content-length twice",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
			status: []int{200}, bodies: []string{"hello"},
		},
		{
			name:   "transfer-encoding gzip",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
			status: []int{501}, closed: true,
		},
		{
			name:   "transfer-encoding gzip, chunked",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
			status: []int{501}, closed: true,
		},
		{
			name:   "transfer-encoding twice",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			status: []int{501}, closed: true,
		},
		{
			name:   "transfer-encoding identity",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
			status: []int{501}, closed: true,
		},
		{
			name:   "transfer-encoding xchunked",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
			status: []int{501}, closed: true,
		},
		{
			// HTTP/1.0 has no Transfer-Encoding: it is ignored and the
			// connection closed after the answer.
			name:   "transfer-encoding in HTTP/1.0",
			raw:    "POST / HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
			status: []int{200}, closed: true, bodies: []string{"hello"},
		},
		{
			name:   "malformed chunk size",
			raw:    "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "space before colon",
			raw:    "POST / HTTP/1.1\r\n" + host + "Content-Length : 5\r\n\r\nhello",
			status: []int{400}, closed: true,
		},
		{
			name:   "invalid header name",
			raw:    "GET / HTTP/1.1\r\n" + host + "Bad[Name]: x\r\n\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "NUL in a header value",
			raw:    "GET / HTTP/1.1\r\n" + host + "X-A: a\x00b\r\n\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "bare CR in a header value",
			raw:    "GET / HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "header section starting with white space",
			raw:    "GET / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n" + host + "\r\n",
			status: []int{400}, closed: true,
		},
		{
			// obs-fold is replaced by a space (RFC 9112 §5.2): the
			// target gets one line.
			name:   "obs-fold",
			raw:    "GET / HTTP/1.1\r\n" + host + "X-Folded: a\r\n b\r\n\r\n",
			status: []int{200}, bodies: []string{""}, header: "X-Folded", value: "a b",
		},
		{
			name:   "two hosts",
			raw:    "GET / HTTP/1.1\r\n" + host + host + "\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "no host",
			raw:    "GET / HTTP/1.1\r\n\r\n",
			status: []int{400}, closed: true,
		},
		{
			name:   "HTTP/2.0 request line",
			raw:    "GET / HTTP/2.0\r\n" + host + "\r\n",
			status: []int{505}, closed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			resps, closed := exchange(t, addr, tt.raw, len(tt.status))
			for i, r := range resps {
				if r.status != tt.status[i] {
					t.Errorf("answer %d: %d %q, want %d", i, r.status, r.body, tt.status[i])
				}
			}
			if closed != tt.closed {
				t.Errorf("connection closed: %v, want %v", closed, tt.closed)
			}
			got := rec.take()
			if len(got) != len(tt.bodies) {
				t.Fatalf("the target got %d requests %+v, want bodies %q", len(got), got, tt.bodies)
			}
			for i, r := range got {
				if r.body != tt.bodies[i] {
					t.Errorf("request %d: the target got body %q, want %q", i, r.body, tt.bodies[i])
				}
				if strings.Contains(r.uri, "smuggled") {
					t.Errorf("request %d: the target got %s %s", i, r.method, r.uri)
				}
			}
			if tt.header != "" {
				if v := got[0].header.Get(tt.header); v != tt.value {
					t.Errorf("the target got %s %q, want %q", tt.header, v, tt.value)
				}
			}
		})
	}
}

// TestChunkedCloseOnFixedResponse checks that a chunked request answered
// by the listener itself closes the connection too.
func TestChunkedCloseOnFixedResponse(t *testing.T) {
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, fixed(http.StatusTeapot, "short and stout")))
	addr := strings.TrimPrefix(listenerURL(t, b, "l1"), "http://")
	raw := "POST / HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n"
	resps, closed := exchange(t, addr, raw, 1)
	if resps[0].status != http.StatusTeapot || !closed {
		t.Errorf("answer %d, closed %v; want 418 and the connection closed", resps[0].status, closed)
	}
}
