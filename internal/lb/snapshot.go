package lb

import (
	"crypto/tls"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"sync/atomic"
)

// snapshot is an immutable routing table built from one Config. A
// request loads the current snapshot once and routes from it alone, so
// it sees either the configuration before an Apply or the one after.
// The only mutable parts are the per-group round-robin counters and
// routable lists, which follow target health, and the traffic counters,
// which the next snapshot takes over.
type snapshot struct {
	cfg       Config
	listeners map[string]*listenerSnap // by Listener.Address
	groups    map[string]*groupSnap    // by TargetGroup.ARN
	lbs       map[string]*lbMetrics    // by load balancer ARN
	routes    map[string]*groupRoute   // by pairKey(load balancer ARN, group ARN)
}

// listenerSnap is a listener's compiled rules.
type listenerSnap struct {
	arn           string
	lb            *lbMetrics // its load balancer's counters
	rules         []rule     // by ascending priority
	defaultAction *action
	tls           *tls.Config // nil for HTTP (attachTLS)
}

// rule is a compiled Rule.
type rule struct {
	priority   int
	conditions []condition
	action     *action
}

// action is a compiled Action: a fixed response, or a forward with a
// cumulative weight table over the groups whose weight is above zero.
type action struct {
	fixed  *fixedResponse
	groups []*groupRoute
	cum    []uint32 // cum[i] = sum of weights of groups[0..i]
	total  uint32
}

// fixedResponse is a prepared fixed-response answer.
type fixedResponse struct {
	code        int
	contentType []string
	length      []string
	body        []byte
}

// groupSnap is a target group as one snapshot sees it: its registered
// targets (shared, live objects) and the subset requests go to.
type groupSnap struct {
	arn     string
	spec    *groupSpec
	targets []*target
	inUse   bool

	routable atomic.Pointer[[]*target]
	rr       atomic.Uint32
}

// groupRoute is a target group as one load balancer forwards to it:
// the proxy to the group's targets, whose transport and error handler
// count into the pair's counters and the load balancer's.
type groupRoute struct {
	*groupSnap
	lb    *lbMetrics
	m     *counters
	proxy *httputil.ReverseProxy
}

// emptySnapshot is what a new Balancer serves: no listeners.
func emptySnapshot() *snapshot {
	return &snapshot{listeners: map[string]*listenerSnap{}, groups: map[string]*groupSnap{},
		lbs: map[string]*lbMetrics{}, routes: map[string]*groupRoute{}}
}

// build compiles a validated cfg into a snapshot. Targets already in the
// registry are reused; the ones it had to create are returned in added
// and are not registered yet. The counters of the load balancers and
// target groups that stay are taken over from the current snapshot.
// build has no side effects.
func (b *Balancer) build(cfg Config) (s *snapshot, added []*target, err error) {
	s = &snapshot{
		cfg:       cfg,
		listeners: make(map[string]*listenerSnap, len(cfg.Listeners)),
		groups:    make(map[string]*groupSnap, len(cfg.TargetGroups)),
		lbs:       map[string]*lbMetrics{},
		routes:    map[string]*groupRoute{},
	}
	cur := b.snap.Load()
	for _, tg := range cfg.TargetGroups {
		hc, err := compileHealthCheck(tg.HealthCheck)
		if err != nil {
			return nil, nil, err
		}
		spec := &groupSpec{arn: tg.ARN, hc: hc, http2: tg.ProtocolVersion == "HTTP2", delay: tg.DeregistrationDelay}
		g := &groupSnap{arn: tg.ARN, spec: spec}
		for _, t := range tg.Targets {
			live := b.targets[targetKey(tg.ARN, t)]
			if live == nil {
				live = newTarget(tg.ARN, t, spec)
				added = append(added, live)
			}
			g.targets = append(g.targets, live)
		}
		s.groups[tg.ARN] = g
	}
	for _, l := range cfg.Listeners {
		lbARN := loadBalancerOf(l.ARN)
		lm := s.lbs[lbARN]
		if lm == nil {
			lm = cur.lbs[lbARN]
			if lm == nil {
				lm = &lbMetrics{arn: lbARN}
			}
			s.lbs[lbARN] = lm
		}
		route := func(g *groupSnap) *groupRoute {
			key := pairKey(lbARN, g.arn)
			if gr := s.routes[key]; gr != nil {
				return gr
			}
			gr := &groupRoute{groupSnap: g, lb: lm}
			if old := cur.routes[key]; old != nil {
				gr.m = old.m
			} else {
				gr.m = &counters{}
			}
			gr.proxy = b.newProxy(gr)
			s.routes[key] = gr
			return gr
		}
		ls := &listenerSnap{arn: l.ARN, lb: lm, defaultAction: compileAction(l.DefaultActions[0], s.groups, route)}
		for _, r := range l.Rules {
			cr := rule{priority: r.Priority, action: compileAction(r.Actions[0], s.groups, route)}
			for _, c := range r.Conditions {
				cr.conditions = append(cr.conditions, compileCondition(c))
			}
			ls.rules = append(ls.rules, cr)
		}
		slices.SortFunc(ls.rules, func(a, b rule) int { return a.priority - b.priority })
		s.listeners[l.Address] = ls
	}
	return s, added, nil
}

// compileAction compiles a validated Action and marks the groups it
// forwards to as in use; route gives the group as the listener's load
// balancer forwards to it.
func compileAction(a Action, groups map[string]*groupSnap, route func(*groupSnap) *groupRoute) *action {
	if a.Type == ActionFixedResponse {
		fr := a.FixedResponse
		ct := fr.ContentType
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		return &action{fixed: &fixedResponse{
			code:        fr.StatusCode,
			contentType: []string{ct},
			length:      []string{strconv.Itoa(len(fr.MessageBody))},
			body:        []byte(fr.MessageBody),
		}}
	}
	ca := &action{}
	for _, wg := range a.TargetGroups {
		g := groups[wg.ARN]
		g.inUse = true
		gr := route(g) // weight 0 too: the group still reports health
		if wg.Weight == 0 {
			continue
		}
		ca.total += uint32(wg.Weight)
		ca.groups = append(ca.groups, gr)
		ca.cum = append(ca.cum, ca.total)
	}
	return ca
}

// write sends the fixed response.
func (f *fixedResponse) write(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = f.contentType
	h["Content-Length"] = f.length
	w.WriteHeader(f.code)
	w.Write(f.body)
}

// route returns the action of the first rule, by priority, whose
// conditions all match r, or the listener's default action.
func (l *listenerSnap) route(r *http.Request) *action { return l.routeBy((*stdReq)(r)) }

// routeBy is route for any request the conditions can read.
func (l *listenerSnap) routeBy(r routeReq) *action {
	for i := range l.rules {
		if l.rules[i].matches(r) {
			return l.rules[i].action
		}
	}
	return l.defaultAction
}

// matches reports whether every condition of the rule matches r.
func (r *rule) matches(req routeReq) bool {
	for i := range r.conditions {
		if !r.conditions[i].match(req) {
			return false
		}
	}
	return true
}

// pickGroup chooses a forward action's target group with probability
// weight/total. Groups of weight zero are never chosen; nil means no
// group has a weight.
func (a *action) pickGroup() *groupRoute {
	switch len(a.groups) {
	case 0:
		return nil
	case 1:
		return a.groups[0]
	}
	n := rand.Uint32N(a.total)
	for i, c := range a.cum {
		if n < c {
			return a.groups[i]
		}
	}
	return a.groups[len(a.groups)-1]
}

// pickTarget chooses, round robin, a routable target that is not
// draining and not in tried; nil when there is none.
func (g *groupSnap) pickTarget(tried []*target) *target {
	p := g.routable.Load()
	if p == nil {
		return nil
	}
	list := *p
	n := uint32(len(list))
	if n == 0 {
		return nil
	}
	start := g.rr.Add(1)
	for i := uint32(0); i < n; i++ {
		t := list[(start+i)%n]
		if t.draining.Load() || contains(tried, t) {
			continue
		}
		return t
	}
	return nil
}

// attempts yields the targets a request is tried on, in turn: up to
// 1+maxRetries distinct ones, each picked by pickTarget. The caller
// stops early once an attempt settles the request.
func (g *groupSnap) attempts() iter.Seq[*target] {
	return func(yield func(*target) bool) {
		var tried [maxRetries + 1]*target
		for n := range tried {
			t := g.pickTarget(tried[:n])
			if t == nil || !yield(t) {
				return
			}
			tried[n] = t
		}
	}
}

func contains(list []*target, t *target) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}

// refresh recomputes the targets requests go to: the healthy ones, or,
// when none is healthy, every registered target that is not draining
// (ELB's fail-open). Callers hold Balancer.routeMu.
func (g *groupSnap) refresh() {
	list := make([]*target, 0, len(g.targets))
	for _, t := range g.targets {
		if !t.draining.Load() && t.healthy() {
			list = append(list, t)
		}
	}
	if len(list) == 0 {
		for _, t := range g.targets {
			if !t.draining.Load() {
				list = append(list, t)
			}
		}
	}
	g.routable.Store(&list)
}
