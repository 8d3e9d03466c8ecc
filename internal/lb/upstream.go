package lb

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// upConn is a keep-alive connection of the fast path to one target.
type upConn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// idleSince is when it was last put back in its pool.
	idleSince time.Time
}

// connPool holds a target's idle fast-path connections, most recently
// used last. Its zero value is ready.
type connPool struct {
	mu     sync.Mutex
	idle   []*upConn
	closed bool
}

// staleCheckAfter is how long a connection may sit idle before it is
// checked for a close by the target before being used again.
const staleCheckAfter = time.Second

// get returns an idle connection that has not been idle longer than
// maxIdle, or nil. Connections idle for more than staleCheckAfter are
// checked for a close by the target first.
func (p *connPool) get(maxIdle time.Duration) *upConn {
	now := time.Now()
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			return nil
		}
		uc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		idle := now.Sub(uc.idleSince)
		if idle <= staleCheckAfter || idle <= maxIdle && alive(uc.c) {
			return uc
		}
		_ = uc.c.Close()
	}
}

// put returns uc to the pool, or closes it when the pool is closed or
// already holds max connections.
func (p *connPool) put(uc *upConn, max int) {
	uc.idleSince = time.Now()
	p.mu.Lock()
	if p.closed || len(p.idle) >= max {
		p.mu.Unlock()
		_ = uc.c.Close()
		return
	}
	p.idle = append(p.idle, uc)
	p.mu.Unlock()
}

// close closes the idle connections and every one put back later.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, uc := range idle {
		_ = uc.c.Close()
	}
}

// reap closes the connections idle for longer than maxIdle.
func (p *connPool) reap(maxIdle time.Duration) {
	cutoff := time.Now().Add(-maxIdle)
	p.mu.Lock()
	var old []*upConn
	keep := p.idle[:0]
	for _, uc := range p.idle {
		if uc.idleSince.Before(cutoff) {
			old = append(old, uc)
		} else {
			keep = append(keep, uc)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.mu.Unlock()
	for _, uc := range old {
		_ = uc.c.Close()
	}
}

// alive reports whether an idle connection is still open: it has no
// unread data and the target has not closed it. It peeks without
// blocking.
func alive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		// Nothing to read (EAGAIN) is the only good answer: 0 bytes is
		// the target's close, and bytes nobody asked for mean the
		// connection is out of step.
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(err, syscall.EAGAIN)
		return true
	})
	return err == nil && open
}

// Buffer sizes of fast-path connections.
const (
	upReadSize   = 16 << 10
	upWriteSize  = 4 << 10
	cliReadSize  = 4 << 10
	cliWriteSize = 16 << 10
)

// dialTarget opens a fast-path connection to t. Its errors are
// *dialError.
func (b *Balancer) dialTarget(t *target) (*upConn, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.DialTimeout)
	defer cancel()
	c, err := b.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return &upConn{c: c, br: bufio.NewReaderSize(c, upReadSize), bw: bufio.NewWriterSize(c, upWriteSize)}, nil
}

// reapIdle closes, every half idle timeout, the fast path's target
// connections idle for longer than the idle timeout, until the balancer
// closes.
func (b *Balancer) reapIdle() {
	tick := time.NewTicker(b.opts.IdleTimeout / 2)
	defer tick.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range b.liveTargets() {
			t.pool.reap(b.opts.IdleTimeout)
		}
	}
}
