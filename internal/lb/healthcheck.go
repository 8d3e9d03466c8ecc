package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// healthCheckUserAgent is what targets see in health-check requests.
const healthCheckUserAgent = "ELB-HealthChecker/2.0"

// newHealthClients returns the HTTP clients health checks use: new
// connections every time (a check must prove that the target accepts
// connections) with HTTP/1.1 or h2c.
func newHealthClients() (h1, h2 *http.Client) {
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	t1 := &http.Transport{Proxy: nil, DisableKeepAlives: true, DisableCompression: true}
	t2 := &http.Transport{Proxy: nil, DisableKeepAlives: true, DisableCompression: true}
	t2.Protocols = new(http.Protocols)
	t2.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: t1, CheckRedirect: noRedirect},
		&http.Client{Transport: t2, CheckRedirect: noRedirect}
}

// startChecker starts t's health checker. Callers hold b.mu.
func (b *Balancer) startChecker(t *target) {
	if t.stopCheck != nil {
		return
	}
	ctx, cancel := context.WithCancel(b.ctx)
	t.stopCheck = cancel
	b.checkers.Add(1)
	go func() {
		defer b.checkers.Done()
		b.runChecker(ctx, t)
	}()
}

// stopChecker stops t's health checker, if any. Callers hold b.mu.
func (b *Balancer) stopChecker(t *target) {
	if t.stopCheck != nil {
		t.stopCheck()
		t.stopCheck = nil
	}
}

// Retries of a starting target's refused connections: the first comes
// after startRetryMin, each next one twice as late, up to startRetryMax.
// A refused connect costs next to nothing, and each retry's gap is time
// the new task may wait for its first check after it listens: a
// process that takes a second to listen is checked within 100 ms of it.
const (
	startRetryMin = 25 * time.Millisecond
	startRetryMax = 100 * time.Millisecond
)

// runChecker health-checks t every interval until ctx ends, feeding the
// results to the state machine and refreshing the routing of t's group
// whenever its verdict changes.
//
// A target is registered as soon as its task starts, usually before its
// process listens. While it is still initial and has never answered, a
// refused connection within the first interval is not counted but tried
// again soon: the first check that counts comes when the target
// listens, not an interval later, so a new task is healthy after
// (healthy threshold − 1) intervals from then rather than from its
// registration. A target that does not listen within the interval is
// checked, and fails, as ELBv2 checks it.
func (b *Balancer) runChecker(ctx context.Context, t *target) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	start, retry := time.Now(), startRetryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-t.respec:
		}
		spec := t.spec.Load()
		res := b.probe(ctx, t, spec)
		if ctx.Err() != nil {
			return
		}
		next := spec.hc.interval
		if left := next - time.Since(start); res.outcome == probeFailed && left > 0 && t.starting() {
			timer.Stop()
			timer.Reset(min(retry, left))
			retry = min(2*retry, startRetryMax)
			continue
		}
		if t.observe(res, &spec.hc) {
			h := t.health()
			b.log.Info("target health changed", "targetGroup", t.groupARN, "target", t.addr, "state", h.state, "reason", h.reason)
			b.refreshGroup(t.groupARN)
			b.health.changed()
		}
		timer.Stop()
		timer.Reset(next)
	}
}

// probe sends one health-check request to t.
func (b *Balancer) probe(ctx context.Context, t *target, spec *groupSpec) probeResult {
	addr := t.addr
	if spec.hc.port != 0 {
		addr = net.JoinHostPort(t.target.Host, strconv.Itoa(spec.hc.port))
	}
	ctx, cancel := context.WithTimeout(ctx, spec.hc.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+spec.hc.path, nil)
	if err != nil {
		return probeResult{outcome: probeFailed}
	}
	req.Header.Set("User-Agent", healthCheckUserAgent)
	client := b.hc1
	if spec.http2 {
		client = b.hc2
	}
	res, err := client.Do(req)
	if err != nil {
		var te interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &te) && te.Timeout() {
			return probeResult{outcome: probeTimeout}
		}
		return probeResult{outcome: probeFailed}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if !spec.hc.matcher.match(res.StatusCode) {
		return probeResult{outcome: probeCodeMismatch, code: res.StatusCode}
	}
	return probeResult{outcome: probeOK}
}

// refreshGroup recomputes the routable targets of the current
// snapshot's group arn after a health change.
func (b *Balancer) refreshGroup(arn string) {
	b.routeMu.Lock()
	defer b.routeMu.Unlock()
	if g := b.snap.Load().groups[arn]; g != nil {
		g.refresh()
	}
}
