package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPIHeaderLimit sends raw requests to the API's HTTP server: headers
// within maxAPIHeaderBytes are served, larger ones (in one field or
// spread over many) are answered 431 and the connection is closed.
// (net/http allows 4 KB of slack over the limit.)
func TestAPIHeaderLimit(t *testing.T) {
	srv := newAPIServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	field := func(name string, n int) string { return name + ": " + strings.Repeat("x", n) + "\r\n" }
	tests := []struct {
		name    string
		headers string
		status  int
		closed  bool
	}{
		{"within the limit", field("X-Big", maxAPIHeaderBytes-1024), http.StatusOK, false},
		{"one field over the limit", field("X-Big", maxAPIHeaderBytes+8<<10), http.StatusRequestHeaderFieldsTooLarge, true},
		{"many fields over the limit", strings.Repeat(field("X-Many", 1000), 80), http.StatusRequestHeaderFieldsTooLarge, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: api\r\n%s\r\n", tt.headers); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			// A closed connection reads EOF; an open one times out.
			conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			_, err = br.ReadByte()
			if closed := err == io.EOF; closed != tt.closed {
				t.Fatalf("after the reply: %v; want closed %v", err, tt.closed)
			}
		})
	}
}
