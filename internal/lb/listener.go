package lb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// boundListener is a bound listener address, the fast path's
// connections on it and the HTTP server the connections it does not
// take are handed to. It lives as long as some Config has a listener on
// its address.
type boundListener struct {
	address string // Listener.Address, the key in snapshots
	ln      net.Listener
	srv     *http.Server
	handoff *handoff
	conns   connSet
	done    chan struct{} // closed when the accept loop and Serve return
}

// bind binds address and prepares its server; it does not serve yet.
// Its errors wrap ErrListen.
func (b *Balancer) bind(address string) (*boundListener, error) {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrListen, address, err)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:           &listenerHandler{b: b, address: address},
		Protocols:         protocols,
		ReadHeaderTimeout: b.opts.ReadHeaderTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		IdleTimeout:       b.opts.IdleTimeout,
		ErrorLog:          b.errorLog,
	}
	return &boundListener{address: address, ln: ln, srv: srv, handoff: newHandoff(ln.Addr()), done: make(chan struct{})}, nil
}

// serve starts accepting connections on bl.
func (b *Balancer) serve(bl *boundListener) {
	b.log.Info("listener bound", "address", bl.address, "bound", bl.ln.Addr().String())
	var wg sync.WaitGroup
	wg.Go(func() { b.acceptLoop(bl) })
	wg.Go(func() {
		err := bl.srv.Serve(bl.handoff)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			b.log.Error("listener stopped", "address", bl.address, "error", err)
		}
	})
	go func() {
		wg.Wait()
		close(bl.done)
	}()
}

// shutdown stops accepting and waits for in-flight requests until ctx
// ends, then cuts the remaining connections.
func (bl *boundListener) shutdown(ctx context.Context) error {
	_ = bl.ln.Close()
	fast := make(chan error, 1)
	go func() { fast <- bl.conns.drain(ctx) }()
	err := bl.srv.Shutdown(ctx)
	if err != nil {
		bl.srv.Close()
	}
	err = errors.Join(err, <-fast)
	<-bl.done
	if err != nil {
		return fmt.Errorf("listener %s: %w", bl.address, err)
	}
	return nil
}

// drainListener shuts a removed listener down in the background, giving
// its in-flight requests up to Options.ListenerDrainTimeout. Close cuts
// that short when its own context ends first. Callers hold b.mu.
func (b *Balancer) drainListener(bl *boundListener) {
	b.log.Info("listener removed, draining", "address", bl.address)
	// Free the port now, so that a later Apply can bind it again while
	// the old connections drain.
	_ = bl.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.ListenerDrainTimeout)
	b.closing[bl] = cancel
	b.draining.Add(1)
	go func() {
		defer b.draining.Done()
		defer cancel()
		if err := bl.shutdown(ctx); err != nil {
			b.log.Warn("listener drain cut short", "address", bl.address, "error", err)
		}
		b.mu.Lock()
		delete(b.closing, bl)
		b.mu.Unlock()
	}()
}

// listenerHandler routes the requests of one listener address from the
// current snapshot.
type listenerHandler struct {
	b       *Balancer
	address string
}

// ServeHTTP routes r by the current snapshot: a fixed response, or a
// forward to a target group picked by weight. It counts the request in
// its load balancer's counters (and the target group's, on forward).
func (h *listenerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	closeAfterChunked(w, r)
	l := h.b.snap.Load().listeners[h.address]
	if l == nil {
		// Only during the drain of a removed listener, whose load
		// balancer's counters may be gone: not counted.
		writeStatus(w, http.StatusServiceUnavailable, "503 Service Unavailable: listener is being removed\n")
		return
	}
	l.lb.requests.Add(1)
	a := l.route(r)
	if a.fixed != nil {
		l.lb.fixed.Add(1)
		l.lb.elbError(a.fixed.code)
		a.fixed.write(w)
		return
	}
	g := a.pickGroup()
	if g == nil {
		l.lb.elbError(http.StatusServiceUnavailable)
		writeStatus(w, http.StatusServiceUnavailable, "503 Service Unavailable: no target group to forward to\n")
		return
	}
	g.m.requests.Add(1)
	watchBody(w, r, h.b.opts.IdleTimeout)
	cw := watchWrites(w, h.b.opts.IdleTimeout)
	g.proxy.ServeHTTP(cw, r)
	cw.finish()
}
