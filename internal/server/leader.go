package server

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/store/postgres"
)

// The leader lease's timing. A leader renews its lease every
// campaignEvery, and a follower tries to take it as often, so another
// server leads within leaseTTL + campaignEvery of the leader's death. A
// leader that cannot renew steps down stepDownMargin before its lease
// can expire, on its own clock, so that its controller has stopped
// before another server's starts.
const (
	leaseTTL       = 5 * time.Second
	campaignEvery  = time.Second
	stepDownMargin = time.Second
)

// elector is a store that several servers share, which elects the one
// that writes (postgres.Store).
type elector interface {
	Campaign(ctx context.Context, holder, address string, ttl time.Duration) (postgres.Lease, error)
	Resign(ctx context.Context, holder string) error
	Shared(ctx context.Context, name, proposed string) (string, error)
}

var _ elector = (*postgres.Store)(nil)

// leadership runs this server's part among the servers that share an
// elector: the leader's (the controller, hook invocations, alarms, event
// delivery) while it holds the lease, the follower's (mirroring the data
// plane; the API forwards writes to the leader, forward.go) while
// another server does.
type leadership struct {
	el      elector
	holder  string // this server's name (serverID)
	address string // where this server's API is reached
	log     *slog.Logger
	// leaderWait is how long a write waits for a leader (forward.go).
	leaderWait time.Duration
	// lease is the lease as last read; leading is set while this
	// server's leader role runs.
	lease   atomic.Pointer[postgres.Lease]
	leading atomic.Bool
}

func newLeadership(el elector, holder, address string, log *slog.Logger) *leadership {
	return &leadership{el: el, holder: holder, address: address, log: log, leaderWait: leaderWait}
}

// role is the running role: lead or follow, until cancel.
type role struct {
	leader bool
	term   int64 // a leader's
	cancel context.CancelFunc
	done   chan struct{}
	// expire ends a leader's role when its lease may have lapsed, unless
	// a renewal pushes it back.
	expire *time.Timer
}

// stop ends the role and waits for it.
func (r *role) stop() {
	if r.expire != nil {
		r.expire.Stop()
	}
	r.cancel()
	<-r.done
}

// ended reports whether the role has returned (a leader's, once its
// lease lapsed).
func (r *role) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// run campaigns until ctx is done, running lead while this server holds
// the lease and follow while another does; the two never run at once,
// and each starts only after the other has returned. On the way out it
// gives the lease up, so that another server takes over at once.
func (l *leadership) run(ctx context.Context, lead, follow func(context.Context)) {
	var cur *role
	defer func() {
		if cur != nil {
			cur.stop()
		}
		l.leading.Store(false)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), campaignEvery)
		defer cancel()
		if err := l.el.Resign(rctx, l.holder); err != nil {
			l.log.Warn("give up the leader lease", "err", err)
		}
	}()
	tick := time.NewTicker(campaignEvery)
	defer tick.Stop()
	for {
		if cur != nil && cur.ended() { // a leader whose lease lapsed
			l.log.Warn("stepped down: the leader lease could not be renewed in time")
			cur.stop()
			l.leading.Store(false)
			cur = nil
		}
		sent := time.Now()
		cctx, cancel := context.WithTimeout(ctx, campaignEvery)
		lease, err := l.el.Campaign(cctx, l.holder, l.address, leaseTTL)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// A leader keeps leading until its lease may lapse (expire);
			// a follower keeps following.
			l.log.Warn("campaign for the leader lease", "err", err)
		case lease.Held:
			l.lease.Store(&lease)
			if cur != nil && (!cur.leader || cur.term != lease.Term) {
				l.leading.Store(false)
				cur.stop()
				cur = nil
			}
			if cur == nil {
				l.log.Info("leading", "term", lease.Term)
				cur = l.start(ctx, lease.Term, lead)
				l.leading.Store(true)
			}
			cur.expire.Reset(time.Until(sent.Add(leaseTTL - stepDownMargin)))
		default:
			l.lease.Store(&lease)
			if cur != nil && cur.leader {
				l.log.Warn("stepped down: another server holds the leader lease", "leader", lease.Holder, "term", lease.Term)
				l.leading.Store(false)
				cur.stop()
				cur = nil
			}
			if cur == nil {
				l.log.Info("following", "leader", lease.Holder, "leader_address", lease.Address, "term", lease.Term)
				cur = l.start(ctx, 0, follow)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// start runs fn in a role of its own: a leader's in term, a follower's
// for term 0.
func (l *leadership) start(ctx context.Context, term int64, fn func(context.Context)) *role {
	ctx, cancel := context.WithCancel(ctx)
	r := &role{leader: term != 0, term: term, cancel: cancel, done: make(chan struct{})}
	if r.leader {
		r.expire = time.AfterFunc(leaseTTL-stepDownMargin, func() {
			l.leading.Store(false) // writes are forwarded, or wait, from now on
			cancel()
		})
	}
	go func() {
		defer close(r.done)
		fn(ctx)
	}()
	return r
}

// termController is the controller of this server's term as leader, if
// it leads: the APIs tell it of the changes they store.
type termController struct {
	p atomic.Pointer[controller.Controller]
}

// Wake wakes the leader's controller, if this server leads.
func (t *termController) Wake() {
	if c := t.p.Load(); c != nil {
		c.Wake()
	}
}

// ServiceChanged tells the leader's controller, if this server leads,
// that the service changed.
func (t *termController) ServiceChanged(serviceArn string) {
	if c := t.p.Load(); c != nil {
		c.ServiceChanged(serviceArn)
	}
}

// advertiseURL is the URL other servers reach this one's API at:
// cfg.AdvertiseURL, else the listening address, with the host's name in
// place of an unspecified IP.
func advertiseURL(cfg Config, addr net.Addr, scheme string) string {
	if cfg.AdvertiseURL != "" {
		return cfg.AdvertiseURL
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// leader returns the address of the server that leads, if the lease last
// read is live and not this server's.
func (l *leadership) leader() string {
	if p := l.lease.Load(); p != nil && p.Live && !p.Held {
		return p.Address
	}
	return ""
}
