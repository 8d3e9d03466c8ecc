package controller

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

// TestMirrorFollowsTheStore: a follower's data plane serves what the
// leader stores (a new target group, then a target registered) within
// the interval, and is not pushed again while nothing changes.
func TestMirrorFollowsTheStore(t *testing.T) {
	st, b, call := elbFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Mirror(ctx, MirrorConfig{Store: st, DataPlane: balancerPlane{b}, LBAddress: "127.0.0.1", Interval: 10 * time.Millisecond})
	}()
	defer func() { cancel(); <-done }()
	until := func(what string, ok func(lb.Config) bool) lb.Config {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok(b.Config()) {
			if time.Now().After(deadline) {
				t.Fatalf("the data plane never served %s: %+v", what, b.Config())
			}
			time.Sleep(5 * time.Millisecond)
		}
		return b.Config()
	}

	body := call(url.Values{"Action": {"CreateTargetGroup"}, "Name": {"web"}, "Protocol": {"HTTP"}, "Port": {"80"}, "TargetType": {"ip"}})
	arn := body[strings.Index(body, "<TargetGroupArn>")+len("<TargetGroupArn>") : strings.Index(body, "</TargetGroupArn>")]
	until("the target group", func(c lb.Config) bool { return len(c.TargetGroups) == 1 })
	call(url.Values{"Action": {"RegisterTargets"}, "TargetGroupArn": {arn}, "Targets.member.1.Id": {"127.0.0.1"}, "Targets.member.1.Port": {"8081"}})
	cfg := until("the registered target", func(c lb.Config) bool {
		return len(c.TargetGroups) == 1 && len(c.TargetGroups[0].Targets) == 1
	})
	time.Sleep(100 * time.Millisecond) // ten intervals with nothing new
	if v := b.Config().Version; v != cfg.Version {
		t.Errorf("pushed again with nothing new: version %d, then %d", cfg.Version, v)
	}
}
