package lb

import (
	"cmp"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Metrics is a snapshot of the data plane's traffic counters: per load
// balancer and per target group as each load balancer forwards to it,
// cumulative since the Balancer started (StartedAt). A load balancer
// or target group that leaves the configuration loses its counters; one
// that comes back starts again from zero.
type Metrics struct {
	// StartedAt is when the Balancer was created. The counters start at
	// zero then: a different StartedAt means a restarted data plane.
	StartedAt time.Time `json:"startedAt"`
	// Time is when the snapshot was taken.
	Time          time.Time             `json:"time"`
	LoadBalancers []LoadBalancerMetrics `json:"loadBalancers"`
}

// LoadBalancerMetrics are the counters of one load balancer, that is of
// every listener whose ARN names it, ordered by ARN.
type LoadBalancerMetrics struct {
	// ARN is the load balancer's ARN, derived from its listeners' ARNs
	// (a listener ARN that is not an ELBv2 one stands for itself).
	ARN string `json:"arn"`
	// Counters count every request of the load balancer's listeners,
	// including fixed responses and the errors the balancer answered.
	Counters
	// FixedResponses counts requests answered by a fixed-response
	// action.
	FixedResponses uint64 `json:"fixedResponses"`
	// TargetGroups are the target groups the load balancer's forward
	// actions name (weight 0 included), ordered by ARN.
	TargetGroups []TargetGroupMetrics `json:"targetGroups"`
}

// TargetGroupMetrics are the counters of the requests one load balancer
// forwarded to one target group, and the group's target health.
type TargetGroupMetrics struct {
	ARN string `json:"arn"`
	Counters
	// HealthyHosts and UnhealthyHosts count the group's registered
	// targets in state healthy and unhealthy (initial ones are neither).
	HealthyHosts   int `json:"healthyHosts"`
	UnhealthyHosts int `json:"unhealthyHosts"`
}

// Counters are cumulative request counters, ELBv2's CloudWatch metrics
// before they are cut into periods.
type Counters struct {
	// Requests counts requests received (load balancer) or routed to the
	// target group (target group), once each whatever the retries.
	Requests uint64 `json:"requests"`
	// Target2xx to Target5xx count target responses by status class.
	Target2xx uint64 `json:"target2xx"`
	Target3xx uint64 `json:"target3xx"`
	Target4xx uint64 `json:"target4xx"`
	Target5xx uint64 `json:"target5xx"`
	// ELB4xx counts client errors the balancer answered itself:
	// fixed responses of 4xx, and requests whose client went away before
	// the target answered (ELBv2's 460).
	ELB4xx uint64 `json:"elb4xx"`
	// ELB5xx counts server errors the balancer answered itself: no
	// target (503), a target that did not connect or answer (502, 504),
	// fixed responses of 5xx. ELB502 to ELB504 break it down.
	ELB5xx uint64 `json:"elb5xx"`
	ELB502 uint64 `json:"elb502"`
	ELB503 uint64 `json:"elb503"`
	ELB504 uint64 `json:"elb504"`
	// TargetConnectionErrors counts connections to targets that could
	// not be established (each attempt, retries included).
	TargetConnectionErrors uint64 `json:"targetConnectionErrors"`
	// TargetResponses counts the target responses whose time is in
	// TargetResponseTimeNanos: every response, 1xx (Upgrade) included.
	TargetResponses uint64 `json:"targetResponses"`
	// TargetResponseTimeNanos is the total time, in nanoseconds, from
	// sending requests to targets to receiving their response headers.
	TargetResponseTimeNanos uint64 `json:"targetResponseTimeNanos"`
	// ResponseTimeExtremes are the fastest and slowest response of each
	// of the last 64 seconds that had one, oldest first; the current
	// second is still counting.
	ResponseTimeExtremes []Extremes `json:"responseTimeExtremes,omitempty"`
}

// Extremes are the fastest and the slowest target response of one
// second, to the microsecond.
type Extremes struct {
	// Second is the Unix time of the second.
	Second   int64 `json:"second"`
	MinNanos int64 `json:"minNanos"`
	MaxNanos int64 `json:"maxNanos"`
}

// counters are the live counters behind Counters. They are updated with
// atomic adds from the request path and live in the snapshot, carried
// over by Applies that keep their load balancer or target group pair.
type counters struct {
	requests  atomic.Uint64
	target    [4]atomic.Uint64 // 2xx, 3xx, 4xx, 5xx
	elb4xx    atomic.Uint64
	elb5xx    atomic.Uint64
	elb502    atomic.Uint64
	elb503    atomic.Uint64
	elb504    atomic.Uint64
	connErrs  atomic.Uint64
	responses atomic.Uint64
	respNanos atomic.Uint64
	fixed     atomic.Uint64 // load balancers only
	extremes  [extremeSeconds]extremes
}

// extremeSeconds is how many past seconds keep their response time
// extremes: readers polling less often than that lose the older ones.
const extremeSeconds = 64

// extremes holds the min and max response time of one second in two
// words, each packing a tag of the second with the value in
// microseconds, so that one compare-and-swap both starts a new second
// and updates the value. A word that was never written has no tag.
type extremes struct {
	min, max atomic.Uint64
}

const (
	valueBits = 40 // microseconds: about 12.7 days
	valueMask = 1<<valueBits - 1
	// A tag is the second's low 23 bits (97 days) with bit 23 set.
	tagBits = 64 - valueBits
	tagMask = 1<<(tagBits-1) - 1
	tagSet  = 1 << (tagBits - 1)
)

// tagOf returns the tag of second sec.
func tagOf(sec int64) uint64 { return uint64(sec)&tagMask | tagSet }

// pack returns the word of value us (microseconds) in second sec.
func pack(sec int64, us uint64) uint64 {
	return tagOf(sec)<<valueBits | min(us, valueMask)
}

// observe records a target response of status code, received d after
// the request was sent, at Unix second sec.
func (c *counters) observe(code int, d time.Duration, sec int64) {
	if i := code/100 - 2; i >= 0 && i < len(c.target) {
		c.target[i].Add(1)
	}
	c.responses.Add(1)
	c.respNanos.Add(uint64(max(d, 0)))
	w := pack(sec, uint64(max(d, 0)/time.Microsecond))
	tag := w >> valueBits
	e := &c.extremes[uint64(sec)%extremeSeconds]
	for {
		old := e.max.Load()
		if old>>valueBits == tag && old >= w || e.max.CompareAndSwap(old, w) {
			break
		}
	}
	for {
		old := e.min.Load()
		if old>>valueBits == tag && old <= w || e.min.CompareAndSwap(old, w) {
			break
		}
	}
}

// elbError records an answer the balancer generated itself.
func (c *counters) elbError(code int) {
	switch {
	case code >= 500:
		c.elb5xx.Add(1)
		switch code {
		case 502:
			c.elb502.Add(1)
		case 503:
			c.elb503.Add(1)
		case 504:
			c.elb504.Add(1)
		}
	case code >= 400:
		c.elb4xx.Add(1)
	}
}

// read returns the counters' values; the extremes are those of the
// seconds up to now that had a response.
func (c *counters) read(now int64) Counters {
	out := Counters{
		Requests:                c.requests.Load(),
		Target2xx:               c.target[0].Load(),
		Target3xx:               c.target[1].Load(),
		Target4xx:               c.target[2].Load(),
		Target5xx:               c.target[3].Load(),
		ELB4xx:                  c.elb4xx.Load(),
		ELB5xx:                  c.elb5xx.Load(),
		ELB502:                  c.elb502.Load(),
		ELB503:                  c.elb503.Load(),
		ELB504:                  c.elb504.Load(),
		TargetConnectionErrors:  c.connErrs.Load(),
		TargetResponses:         c.responses.Load(),
		TargetResponseTimeNanos: c.respNanos.Load(),
	}
	for sec := now - extremeSeconds + 1; sec <= now; sec++ {
		e := &c.extremes[uint64(sec)%extremeSeconds]
		lo, hi := e.min.Load(), e.max.Load()
		tag := tagOf(sec)
		if lo>>valueBits != tag || hi>>valueBits != tag {
			continue
		}
		out.ResponseTimeExtremes = append(out.ResponseTimeExtremes, Extremes{
			Second:   sec,
			MinNanos: int64(lo&valueMask) * int64(time.Microsecond),
			MaxNanos: int64(hi&valueMask) * int64(time.Microsecond),
		})
	}
	return out
}

// lbMetrics are the counters of one load balancer.
type lbMetrics struct {
	arn string
	counters
}

// pairKey identifies the counters of a target group as one load
// balancer forwards to it.
func pairKey(lbARN, groupARN string) string { return lbARN + " " + groupARN }

// loadBalancerOf returns the ARN of the load balancer of an ELBv2
// listener ARN (arn:P:elasticloadbalancing:R:A:listener/app/NAME/ID/LID
// belongs to arn:P:elasticloadbalancing:R:A:loadbalancer/app/NAME/ID);
// any other string stands for its own load balancer.
func loadBalancerOf(listenerARN string) string {
	parts := strings.SplitN(listenerARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "elasticloadbalancing" {
		return listenerARN
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 5 || res[0] != "listener" {
		return listenerARN
	}
	parts[5] = "loadbalancer/" + strings.Join(res[1:4], "/")
	return strings.Join(parts, ":")
}

// Metrics returns the traffic counters of every load balancer of the
// configuration being served, with the target health of the target
// groups they forward to.
func (b *Balancer) Metrics() Metrics {
	s := b.snap.Load()
	now := time.Now()
	out := Metrics{StartedAt: b.startedAt, Time: now, LoadBalancers: make([]LoadBalancerMetrics, 0, len(s.lbs))}
	for _, m := range s.lbs {
		out.LoadBalancers = append(out.LoadBalancers, LoadBalancerMetrics{
			ARN:            m.arn,
			Counters:       m.read(now.Unix()),
			FixedResponses: m.fixed.Load(),
			TargetGroups:   []TargetGroupMetrics{},
		})
	}
	slices.SortFunc(out.LoadBalancers, func(x, y LoadBalancerMetrics) int { return cmp.Compare(x.ARN, y.ARN) })
	for _, gr := range s.routes {
		i, _ := slices.BinarySearchFunc(out.LoadBalancers, gr.lb.arn, func(m LoadBalancerMetrics, arn string) int { return cmp.Compare(m.ARN, arn) })
		tm := TargetGroupMetrics{ARN: gr.arn, Counters: gr.m.read(now.Unix())}
		for _, t := range gr.targets {
			switch t.health().state {
			case StateHealthy:
				tm.HealthyHosts++
			case StateUnhealthy:
				tm.UnhealthyHosts++
			}
		}
		out.LoadBalancers[i].TargetGroups = append(out.LoadBalancers[i].TargetGroups, tm)
	}
	for i := range out.LoadBalancers {
		slices.SortFunc(out.LoadBalancers[i].TargetGroups, func(x, y TargetGroupMetrics) int { return cmp.Compare(x.ARN, y.ARN) })
	}
	return out
}
