package controller

import (
	"sync"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// revisionBalancing is what the controller needs of a service revision
// on every pass: the target group its tasks register in, and the
// container and port that serve it (all empty when it has no load
// balancer).
type revisionBalancing struct {
	group     string
	container string
	port      int32
}

// revisionCache remembers the load balancing of revisions by ARN.
// Revisions are immutable (the store refuses to overwrite one) and their
// ARNs are never reused, so an entry never goes stale; without the cache
// every pass decoded a revision per service and per running task.
type revisionCache struct {
	mu   sync.Mutex
	revs map[string]revisionBalancing
}

// lookup returns the load balancing of revision arn if it is known.
func (rc *revisionCache) lookup(arn string) (revisionBalancing, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	b, ok := rc.revs[arn]
	return b, ok
}

// balancing returns the load balancing of revision arn, reading the
// revision in tx the first time.
func (rc *revisionCache) balancing(tx state.Tx, arn string) (revisionBalancing, error) {
	if b, ok := rc.lookup(arn); ok {
		return b, nil
	}
	var b revisionBalancing
	rev, err := tx.Revision(arn)
	if err != nil {
		return revisionBalancing{}, err
	}
	if b.group = rev.TargetGroup(); b.group != "" && len(rev.LoadBalancers) > 0 {
		l := rev.LoadBalancers[0]
		b.container, b.port = l.ContainerName, ecs.Int32Value(l.ContainerPort)
	}
	rc.mu.Lock()
	if rc.revs == nil {
		rc.revs = map[string]revisionBalancing{}
	}
	rc.revs[arn] = b
	rc.mu.Unlock()
	return b, nil
}
