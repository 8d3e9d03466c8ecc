package lb

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Default values of Options fields left at zero.
const (
	// DefaultRequestTimeout is the default Options.RequestTimeout.
	DefaultRequestTimeout = 60 * time.Second
	// DefaultIdleTimeout is the default Options.IdleTimeout (ELBv2's
	// default idle timeout).
	DefaultIdleTimeout = 60 * time.Second
	// DefaultReadHeaderTimeout is the default Options.ReadHeaderTimeout.
	DefaultReadHeaderTimeout = 30 * time.Second
	// DefaultDialTimeout is the default Options.DialTimeout (ELBv2's
	// connection timeout to targets).
	DefaultDialTimeout = 10 * time.Second
	// DefaultListenerDrainTimeout is the default
	// Options.ListenerDrainTimeout.
	DefaultListenerDrainTimeout = 30 * time.Second
	// DefaultMaxIdleConnsPerTarget is the default
	// Options.MaxIdleConnsPerTarget.
	DefaultMaxIdleConnsPerTarget = 256
)

// maxRetries is how many other targets an idempotent request is tried
// on when the connection to its target cannot be established.
const maxRetries = 2

// Options tune a Balancer. The zero value is usable: every zero field
// takes its default.
type Options struct {
	// Logger receives the balancer's logs; nil discards them.
	Logger *slog.Logger
	// RequestTimeout bounds the wait for a target's response headers
	// once the request has been sent; past it the client gets 504.
	RequestTimeout time.Duration
	// IdleTimeout closes client keep-alive connections (and idle
	// connections to targets) that carried nothing for this long.
	IdleTimeout time.Duration
	// ReadHeaderTimeout bounds the time a client takes to send a
	// request's headers.
	ReadHeaderTimeout time.Duration
	// DialTimeout bounds the connection to a target; past it the
	// request is retried (idempotent methods) or answered 504.
	DialTimeout time.Duration
	// ListenerDrainTimeout bounds how long a listener removed by Apply
	// waits for its in-flight requests before its connections are cut.
	ListenerDrainTimeout time.Duration
	// MaxIdleConnsPerTarget is the keep-alive pool size per target.
	MaxIdleConnsPerTarget int
	// CertificateCheckInterval is how often, at most, an HTTPS
	// listener's certificate files are checked for a renewal (zero:
	// certs.DefaultCheckInterval).
	CertificateCheckInterval time.Duration
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ListenerDrainTimeout <= 0 {
		o.ListenerDrainTimeout = DefaultListenerDrainTimeout
	}
	if o.MaxIdleConnsPerTarget <= 0 {
		o.MaxIdleConnsPerTarget = DefaultMaxIdleConnsPerTarget
	}
	return o
}

// Balancer is the load balancer data plane: it binds the listeners of
// the Config last applied and routes their requests from an immutable
// snapshot, health-checks targets and drains removed ones. Its methods
// are safe for concurrent use.
type Balancer struct {
	opts     Options
	log      *slog.Logger
	errorLog *log.Logger
	buffers  *bufferPool
	h1, h2   *http.Transport
	hc1, hc2 *http.Client
	// dialer connects the fast path to targets.
	dialer *net.Dialer
	// startedAt is when the traffic counters started (Metrics).
	startedAt time.Time

	snap atomic.Pointer[snapshot]

	// ctx parents the health checkers; cancel stops them all.
	ctx      context.Context
	cancel   context.CancelFunc
	checkers sync.WaitGroup
	// draining counts removed listeners still shutting down.
	draining sync.WaitGroup

	// routeMu orders routable-list refreshes (health changes) with
	// snapshot swaps so that no health change is lost.
	routeMu sync.Mutex

	mu        sync.Mutex // serializes Apply, Close and target drops
	closed    bool
	listeners map[string]*boundListener // by address
	targets   map[string]*target        // by targetKey, registered and draining
	// closing holds removed listeners still draining, with the cancel
	// function that cuts their drain short.
	closing map[*boundListener]context.CancelFunc
	// tls holds the HTTPS listeners' certificates and configurations.
	tls tlsState
	// health tells WaitHealth's callers of health changes.
	health healthWatch
}

// New returns a Balancer that serves nothing until the first Apply.
func New(opts Options) *Balancer {
	opts = opts.withDefaults()
	b := &Balancer{
		opts:      opts,
		log:       opts.Logger,
		errorLog:  slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
		buffers:   &bufferPool{},
		listeners: map[string]*boundListener{},
		targets:   map[string]*target{},
		closing:   map[*boundListener]context.CancelFunc{},
		startedAt: time.Now().Round(0),
	}
	b.h1, b.h2 = newTransports(opts)
	b.dialer = &net.Dialer{KeepAlive: 30 * time.Second}
	b.hc1, b.hc2 = newHealthClients()
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.snap.Store(emptySnapshot())
	b.checkers.Go(b.reapIdle)
	return b
}

// Apply makes cfg the configuration being served. It validates cfg and
// builds its routing snapshot, binds the listener addresses that are
// new, then swaps the snapshot in one step and finally drains what was
// removed: listeners shut down gracefully, removed targets go draining
// for their group's deregistration delay. Listeners whose address is
// unchanged keep their socket and connections; targets that stay keep
// their health and counters.
//
// On error nothing changes. Errors wrap ErrStaleVersion (cfg.Version is
// below the current one), ErrInvalidConfig, ErrListen or ErrClosed.
// Applying the same Config twice is harmless.
func (b *Balancer) Apply(cfg Config) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if cur := b.snap.Load().cfg.Version; cfg.Version < cur {
		return fmt.Errorf("%w: version %d < %d", ErrStaleVersion, cfg.Version, cur)
	}
	if err := validate(cfg); err != nil {
		return err
	}
	cfg = cloneConfig(cfg)
	next, added, err := b.build(cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	b.attachTLS(next)
	var fresh []*boundListener
	for addr := range next.listeners {
		if b.listeners[addr] != nil {
			continue
		}
		bl, err := b.bindListener(addr)
		if err != nil {
			for _, f := range fresh {
				f.ln.Close()
			}
			return err
		}
		fresh = append(fresh, bl)
	}
	b.commit(next, added, fresh)
	return nil
}

// commit makes next current. Callers hold b.mu; nothing here can fail.
func (b *Balancer) commit(next *snapshot, added []*target, fresh []*boundListener) {
	for _, t := range added {
		b.targets[t.key] = t
	}
	kept := make(map[string]bool, len(b.targets))
	for _, g := range next.groups {
		for _, t := range g.targets {
			kept[t.key] = true
			t.setSpec(g.spec)
			if t.draining.Load() {
				t.drainGen++
				if t.drainTimer != nil {
					t.drainTimer.Stop()
					t.drainTimer = nil
				}
				t.draining.Store(false)
				b.log.Info("target registered again while draining", "targetGroup", t.groupARN, "target", t.addr)
			}
			if g.spec.hc.enabled {
				b.startChecker(t)
			} else {
				b.stopChecker(t)
				t.setHealthy()
			}
		}
	}

	b.routeMu.Lock()
	for _, g := range next.groups {
		g.refresh()
	}
	b.snap.Store(next)
	b.routeMu.Unlock()
	b.pruneTLS(next)

	for _, bl := range fresh {
		b.listeners[bl.address] = bl
		b.serve(bl)
	}
	for addr, bl := range b.listeners {
		if next.listeners[addr] == nil {
			delete(b.listeners, addr)
			b.drainListener(bl)
		}
	}
	for _, t := range b.targets {
		if !kept[t.key] && !t.draining.Load() {
			b.drainTarget(t)
		}
	}
	b.log.Info("configuration applied", "version", next.cfg.Version,
		"listeners", len(next.listeners), "targetGroups", len(next.groups))
}

// drainTarget stops sending new requests to t and drops it after its
// group's deregistration delay. Callers hold b.mu.
func (b *Balancer) drainTarget(t *target) {
	t.draining.Store(true)
	t.drainGen++
	gen := t.drainGen
	delay := t.spec.Load().delay
	b.log.Info("target draining", "targetGroup", t.groupARN, "target", t.addr, "delay", delay)
	t.drainTimer = time.AfterFunc(delay, func() { b.dropTarget(t, gen) })
}

// dropTarget forgets a target whose deregistration delay is over,
// unless it was registered again meanwhile.
func (b *Balancer) dropTarget(t *target, gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || t.drainGen != gen || !t.draining.Load() {
		return
	}
	b.stopChecker(t)
	t.drainTimer = nil
	delete(b.targets, t.key)
	t.pool.close()
	b.log.Info("target deregistered", "targetGroup", t.groupARN, "target", t.addr, "inFlight", t.inFlight.Load())
	b.health.changed()
}

// Config returns a copy of the configuration being served.
func (b *Balancer) Config() Config {
	return cloneConfig(b.snap.Load().cfg)
}

// ListenerAddrs returns the address each listener is bound to, by
// listener ARN; it tells the port picked for an address with port 0.
func (b *Balancer) ListenerAddrs() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.snap.Load()
	m := make(map[string]string, len(s.cfg.Listeners))
	for _, l := range s.cfg.Listeners {
		if bl := b.listeners[l.Address]; bl != nil {
			m[l.ARN] = bl.ln.Addr().String()
		}
	}
	return m
}

// Close stops the balancer gracefully: listeners stop accepting, their
// in-flight requests finish (until ctx ends, when the remaining
// connections are cut and ctx's error is returned), health checks stop.
// Apply fails with ErrClosed afterwards. Close is idempotent.
func (b *Balancer) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for _, t := range b.targets {
		if t.drainTimer != nil {
			t.drainTimer.Stop()
		}
	}
	listeners := b.listeners
	b.listeners = map[string]*boundListener{}
	closing := make([]context.CancelFunc, 0, len(b.closing))
	for _, cancel := range b.closing {
		closing = append(closing, cancel)
	}
	b.mu.Unlock()

	b.cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(listeners))
	for _, bl := range listeners {
		wg.Go(func() { errs <- bl.shutdown(ctx) })
	}
	wg.Wait()
	close(errs)
	var err error
	for e := range errs {
		if e != nil && err == nil {
			err = fmt.Errorf("shut down listeners: %w", e)
		}
	}
	drained := make(chan struct{})
	go func() {
		b.draining.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-ctx.Done():
		for _, cancel := range closing {
			cancel()
		}
		<-drained
	}
	b.checkers.Wait()
	for _, t := range b.liveTargets() {
		t.pool.close()
	}
	b.h1.CloseIdleConnections()
	b.h2.CloseIdleConnections()
	return err
}

// cloneConfig returns a deep copy of cfg.
func cloneConfig(cfg Config) Config {
	data, err := json.Marshal(cfg)
	if err != nil {
		panic(fmt.Sprintf("lb: marshal config: %v", err)) // plain data: cannot happen
	}
	var out Config
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("lb: unmarshal config: %v", err))
	}
	return out
}
