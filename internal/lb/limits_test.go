package lb

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestHeaderLimit(t *testing.T) {
	addr, rec := rawLB(t, Options{})
	for _, tt := range []struct {
		name   string
		size   int
		status int
		closed bool
	}{
		{"within the limit", MaxHeaderBytes - 1024, http.StatusOK, false},
		{"over the limit", MaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec.take()
			raw := "GET / HTTP/1.1\r\nHost: app\r\nX-Big: " + strings.Repeat("x", tt.size) + "\r\n\r\n"
			resps, closed := exchange(t, addr, raw, 1)
			if resps[0].status != tt.status || closed != tt.closed {
				t.Errorf("answer %d, closed %v; want %d, %v", resps[0].status, closed, tt.status, tt.closed)
			}
			if got := len(rec.take()); (tt.status == http.StatusOK) != (got == 1) {
				t.Errorf("the target got %d requests", got)
			}
		})
	}
}

func TestServerLimitsAndDefaults(t *testing.T) {
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, fixed(200, "ok")))
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bl := range b.listeners {
		if s := bl.srv; s.MaxHeaderBytes != MaxHeaderBytes || s.ReadHeaderTimeout != DefaultReadHeaderTimeout ||
			s.IdleTimeout != DefaultIdleTimeout {
			t.Errorf("listener %s: MaxHeaderBytes %d, ReadHeaderTimeout %s, IdleTimeout %s", bl.address,
				s.MaxHeaderBytes, s.ReadHeaderTimeout, s.IdleTimeout)
		}
	}
}

// dialRaw connects to addr, closed at the end of the test.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitClosed waits up to 5s for the server to close conn without
// answering and returns how long that took.
func waitClosed(t *testing.T, conn net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(5 * time.Second))
	b, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the connection is still open after %v", time.Since(start))
	}
	if len(b) > 0 {
		t.Errorf("the server answered %q", b)
	}
	return time.Since(start)
}

func TestSlowHeaders(t *testing.T) {
	addr, rec := rawLB(t, Options{ReadHeaderTimeout: 300 * time.Millisecond})
	conn := dialRaw(t, addr)
	// A slowloris: a header line now and then, never the end.
	for _, line := range []string{"GET / HTTP/1.1\r\n", "Host: app\r\n", "X-A: 1\r\n", "X-B: 2\r\n"} {
		if _, err := io.WriteString(conn, line); err != nil {
			break // closed already
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := waitClosed(t, conn); d > 3*time.Second {
		t.Errorf("closed after %v more, want about 300ms in all", d)
	}
	if n := len(rec.take()); n != 0 {
		t.Errorf("the target got %d requests", n)
	}
}

// bodyReader is a target that reads the request body and reports how
// that ended.
func bodyReader(t *testing.T, delay time.Duration) (*backend, <-chan error) {
	t.Helper()
	done := make(chan error, 10)
	be := newBackend(t, "reader", func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		done <- err
		if err == nil {
			time.Sleep(delay)
			_, _ = io.WriteString(w, "read")
		}
	})
	return be, done
}

func TestSlowBody(t *testing.T) {
	const idle = 300 * time.Millisecond
	be, done := bodyReader(t, 0)
	b := newTestBalancer(t, Options{IdleTimeout: idle})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	addr := strings.TrimPrefix(listenerURL(t, b, "l1"), "http://")

	t.Run("stalled", func(t *testing.T) {
		conn := dialRaw(t, addr)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 10\r\n\r\nabc")
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(5 * time.Second))
		br := bufio.NewReader(conn)
		resps, err := readResponses(br, []string{http.MethodPost}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); resps[0].status != http.StatusRequestTimeout || d < idle/2 || d > 3*time.Second {
			t.Errorf("answer %d %q after %v, want 408 after about %v", resps[0].status, resps[0].body, d, idle)
		}
		// The target does not wait for the rest of the body.
		select {
		case err := <-done:
			if err == nil {
				t.Error("the target read the whole body")
			}
		case <-time.After(3 * time.Second):
			t.Error("the target still waits for the body")
		}
		if !closedByServer(t, conn, br) {
			t.Error("the connection is still open")
		}
	})

	t.Run("slow but steady", func(t *testing.T) {
		conn := dialRaw(t, addr)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 8\r\n\r\n")
		for i := range 8 { // 8 × idle/3 is longer than the idle timeout
			time.Sleep(idle / 3)
			io.WriteString(conn, string(rune('a'+i)))
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resps, err := readResponses(bufio.NewReader(conn), []string{http.MethodPost}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if resps[0].status != http.StatusOK || resps[0].body != "read" {
			t.Errorf("answer %d %q, want 200", resps[0].status, resps[0].body)
		}
		if err := <-done; err != nil {
			t.Errorf("the target's read: %v", err)
		}
	})

	t.Run("incomplete", func(t *testing.T) {
		conn := dialRaw(t, addr)
		io.WriteString(conn, "POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 10\r\n\r\nabc")
		conn.(*net.TCPConn).CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resps, err := readResponses(bufio.NewReader(conn), []string{http.MethodPost}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if resps[0].status != http.StatusBadRequest {
			t.Errorf("answer %d %q, want 400", resps[0].status, resps[0].body)
		}
		if err := <-done; err == nil {
			t.Error("the target read the whole body")
		}
	})
}

// TestSlowTargetAfterBody checks that the idle timeout of the body does
// not cut a request whose body is in and whose target takes longer than
// the idle timeout to answer.
func TestSlowTargetAfterBody(t *testing.T) {
	const idle = 200 * time.Millisecond
	be, done := bodyReader(t, 3*idle)
	b := newTestBalancer(t, Options{IdleTimeout: idle})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	res, err := newClient(t).Post(listenerURL(t, b, "l1")+"/", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "read" {
		t.Errorf("answer %d %q, want 200 read", res.StatusCode, body)
	}
	if err := <-done; err != nil {
		t.Errorf("the target's read: %v", err)
	}
}

// TestSlowReader: a client that asks for a large response and never
// reads it is cut off once the load balancer's writes to it have made no
// progress for the idle timeout, and the target's connection is closed
// with it, instead of both being held for ever.
func TestSlowReader(t *testing.T) {
	const idle = 300 * time.Millisecond
	written := make(chan error, 1)
	be := newBackend(t, "big", func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for range 8 << 10 { // 256 MB: far more than the buffers on the way hold
			if _, err := w.Write(chunk); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	})
	b := newTestBalancer(t, Options{IdleTimeout: idle})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	conn := dialRaw(t, strings.TrimPrefix(listenerURL(t, b, "l1"), "http://"))
	io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: app\r\n\r\n")
	start := time.Now()
	select {
	case err := <-written:
		if err == nil {
			t.Fatal("the target wrote 256 MB to a client that reads nothing")
		}
		t.Logf("the target's write failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(10 * time.Second):
		t.Fatal("the target is still writing to a client that reads nothing")
	}
	// The client's connection is closed too: what was buffered on the
	// way, then the end.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the client's connection is still open after %d bytes", n)
	}
}

// TestSlowReaderKeepsMovingResponses: the write timeout does not cut a
// response that a client reads slowly but steadily, nor a stream whose
// target is quiet for longer than the idle timeout between writes.
func TestSlowReaderKeepsMovingResponses(t *testing.T) {
	const idle = 300 * time.Millisecond
	const size = 4 << 20
	be := newBackend(t, "stream", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/quiet" {
			for i := range 3 {
				io.WriteString(w, strconv.Itoa(i))
				http.NewResponseController(w).Flush()
				time.Sleep(2 * idle)
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(make([]byte, size))
	})
	b := newTestBalancer(t, Options{IdleTimeout: idle})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	addr := strings.TrimPrefix(listenerURL(t, b, "l1"), "http://")

	t.Run("slow but steady reader", func(t *testing.T) {
		conn := dialRaw(t, addr)
		io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: app\r\n\r\n")
		br := bufio.NewReader(conn)
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		// 256 KB every idle/3: the load balancer's writes wait on the
		// client all along, never for as long as the idle timeout.
		buf := make([]byte, 256<<10)
		var n int
		for n < size {
			m, err := io.ReadFull(res.Body, buf[:min(len(buf), size-n)])
			n += m
			if err != nil {
				t.Fatalf("after %d bytes: %v", n, err)
			}
			time.Sleep(idle / 3)
		}
	})

	t.Run("quiet stream", func(t *testing.T) {
		status, body, _ := get(t, newClient(t), "http://"+addr+"/quiet")
		if status != http.StatusOK || body != "012" {
			t.Fatalf("answer %d %q, want 200 %q", status, body, "012")
		}
	})
}
