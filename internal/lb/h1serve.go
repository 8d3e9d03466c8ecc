package lb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The fast path serves plain HTTP/1.1 requests without net/http: it
// reads a request head into a per-connection buffer, routes it from the
// snapshot, and writes it to a pooled keep-alive connection to the
// target with the forwarding headers added, then passes the response
// back, in the connection's goroutine: no per-request goroutine, context
// or header map. A connection's first bytes that are not such a request
// (TLS, HTTP/2's preface, chunked or Expect or Upgrade requests, odd
// heads, requests for HTTP2 target groups) are handed, with what was
// read of them, to the listener's net/http server, which serves the
// rest of that connection as before.

// handoff is a net.Listener that yields the connections the fast path
// hands to the listener's net/http server.
type handoff struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoff(addr net.Addr) *handoff {
	return &handoff{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the next handed-over connection.
func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.ch:
		return c, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept fail; connections handed over later are closed.
func (h *handoff) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

// Addr returns the listener's address.
func (h *handoff) Addr() net.Addr { return h.addr }

// give hands c to the server.
func (h *handoff) give(c net.Conn) {
	select {
	case h.ch <- c:
	case <-h.done:
		_ = c.Close()
	}
}

// replayConn is a connection whose first bytes were read already: they
// are read again from prefix.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// CloseWrite half-closes a TCP connection, which net/http does before
// closing one whose client may still be sending (after a 431, say), so
// that the client reads the answer rather than a reset.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Connection states for shutdown.
const (
	connActive int32 = iota // reading or serving a request
	connIdle                // waiting for a request
	connClosed              // closed by shutdown while idle
)

// h1conn is a client connection the fast path serves.
type h1conn struct {
	b     *Balancer
	bl    *boundListener
	nc    net.Conn
	br    *bufio.Reader
	bw    *bufio.Writer
	state atomic.Int32
	head  []byte
	req   request
	// The target's response head, reused.
	rhead    []byte
	rhdrs    []header
	rdropped [][]byte
	// afterPost is set after a POST request.
	afterPost bool
	// client and port are the X-Forwarded-For address and
	// X-Forwarded-Port of the connection.
	client, port []byte
}

// acceptLoop accepts the listener's connections until it closes,
// serving each on the fast path or handing it to net/http.
func (b *Balancer) acceptLoop(bl *boundListener) {
	var backoff time.Duration
	for {
		nc, err := bl.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Out of file descriptors, most likely: as net/http does,
			// wait and try again.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			b.log.Warn("accept failed; retrying", "address", bl.address, "error", err, "delay", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if ls := b.snap.Load().listeners[bl.address]; ls != nil && ls.tls != nil {
			bl.handoff.give(tls.Server(nc, ls.tls))
			continue
		}
		c := &h1conn{b: b, bl: bl, nc: nc}
		// Waiting for a request, even the first, a connection is idle:
		// a shutdown closes it at once.
		c.state.Store(connIdle)
		if !bl.conns.add(c) {
			_ = nc.Close()
			continue
		}
		go c.serve()
	}
}

// serve serves the connection's requests until it closes or is handed
// over.
func (c *h1conn) serve() {
	b := c.b
	c.br = bufio.NewReaderSize(c.nc, cliReadSize)
	c.bw = bufio.NewWriterSize(deadlineWriter{c.nc, b.opts.IdleTimeout}, cliWriteSize)
	c.client, c.port = forwardedFor(c.nc)
	handed := false
	defer func() {
		c.bl.conns.remove(c)
		if !handed {
			_ = c.nc.Close()
		}
	}()
	for wait := b.opts.ReadHeaderTimeout; ; wait = b.opts.IdleTimeout {
		_ = c.nc.SetReadDeadline(time.Now().Add(wait))
		_, err := c.br.Peek(1)
		if !c.state.CompareAndSwap(connIdle, connActive) || err != nil {
			return
		}
		_ = c.nc.SetReadDeadline(time.Now().Add(b.opts.ReadHeaderTimeout))
		if c.afterPost {
			// As net/http does: a CR or LF some clients send after a
			// POST's body is not a request.
			peek, _ := c.br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			_, _ = c.br.Discard(n)
		}
		c.head, err = readHead(c.br, c.head[:0], fastHeadLimit)
		if err != nil && !errors.Is(err, errHeadTooLarge) {
			return
		}
		if err != nil || !c.req.parse(c.head) {
			handed = c.handOver()
			return
		}
		c.afterPost = string(c.req.methodB) == "POST"
		switch c.serveRequest() {
		case outcomeHandOver:
			handed = c.handOver()
			return
		case outcomeClose:
			return
		}
		if c.bl.conns.shuttingDown() || !c.state.CompareAndSwap(connActive, connIdle) {
			return
		}
	}
}

// handOver gives the connection, with the head read so far and what is
// buffered behind it, to the listener's net/http server.
func (c *h1conn) handOver() bool {
	_ = c.nc.SetReadDeadline(time.Time{})
	buffered, _ := c.br.Peek(c.br.Buffered())
	prefix := make([]byte, 0, len(c.head)+len(buffered))
	prefix = append(append(prefix, c.head...), buffered...)
	c.bl.conns.remove(c)
	c.bl.handoff.give(&replayConn{Conn: c.nc, r: io.MultiReader(bytes.NewReader(prefix), c.nc)})
	return true
}

// forwardedFor returns the client address for X-Forwarded-For and the
// local port for X-Forwarded-Port.
func forwardedFor(nc net.Conn) (client, port []byte) {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		client = []byte(a.IP.String())
	} else if h, _, err := net.SplitHostPort(nc.RemoteAddr().String()); err == nil {
		client = []byte(h)
	}
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		port = strconv.AppendInt(nil, int64(a.Port), 10)
	}
	return client, port
}

// deadlineWriter writes to a client connection, each write bounded by
// the idle timeout: a client that stops reading a response is cut off
// once a write has made no progress for that long. A response that
// keeps moving is never cut.
type deadlineWriter struct {
	nc   net.Conn
	idle time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	_ = w.nc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.nc.Write(p)
}

// connSet tracks a listener's fast-path connections for shutdown.
type connSet struct {
	mu    sync.Mutex
	conns map[*h1conn]struct{}
	// closing is set once shutdown starts; read after every request, so
	// atomic rather than under mu.
	closing atomic.Bool
}

// add registers c; false once the set is shutting down.
func (s *connSet) add(c *h1conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = map[*h1conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *connSet) remove(c *h1conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *connSet) shuttingDown() bool { return s.closing.Load() }

// closeIdle starts the shutdown: it closes the connections waiting for
// a request and reports how many are left (serving one, which close
// after it).
func (s *connSet) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for c := range s.conns {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			_ = c.nc.Close()
			delete(s.conns, c)
		}
	}
	return len(s.conns)
}

// drain closes the idle connections, then waits for the others to
// finish their request, until ctx ends, when it cuts them.
func (s *connSet) drain(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.closeIdle() > 0 {
		select {
		case <-ctx.Done():
			s.closeAll()
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// closeAll cuts every connection.
func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for c := range s.conns {
		_ = c.nc.Close()
		delete(s.conns, c)
	}
}
