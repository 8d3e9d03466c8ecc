package e2e

// Flip latency (issue 9, target 2): from the moment a rollback is
// acknowledged to the moment every new request reaches the previous
// revision, measured by a client that timestamps every response.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/ecs"
)

// reply is one response the revision client received.
type reply struct {
	start, end time.Time
	version    string // "v1", "v2"; "" for a failed request
}

// revisionClient sends requests back to back to one URL over conns
// keep-alive connections (one per goroutine) and records every response
// with the version that answered it and when it was sent and received.
type revisionClient struct {
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	replies []reply
}

func startRevisionClient(url string, conns int) *revisionClient {
	rc := &revisionClient{stop: make(chan struct{})}
	for range conns {
		rc.wg.Go(func() {
			tr := &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			for {
				select {
				case <-rc.stop:
					return
				default:
				}
				r := reply{start: time.Now()}
				if res, err := c.Get(url); err == nil {
					body, err := io.ReadAll(res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode == http.StatusOK {
						r.version = strings.TrimPrefix(strings.TrimSpace(string(body)), "hello from ")
					}
				}
				r.end = time.Now()
				rc.mu.Lock()
				rc.replies = append(rc.replies, r)
				rc.mu.Unlock()
			}
		})
	}
	return rc
}

// snapshot returns the replies received so far.
func (rc *revisionClient) snapshot() []reply {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]reply(nil), rc.replies...)
}

// finish stops the client and returns every reply. It may be called
// more than once.
func (rc *revisionClient) finish() []reply {
	rc.once.Do(func() { close(rc.stop) })
	rc.wg.Wait()
	return rc.snapshot()
}

// flipped reports whether every reply started in the last window, and
// at least 20 of them, came from version.
func flipped(replies []reply, version string, window time.Duration) bool {
	n, since := 0, time.Now().Add(-window)
	for _, r := range replies {
		if r.start.After(since) {
			if r.version != version {
				return false
			}
			n++
		}
	}
	return n >= 20
}

// flipTime is when traffic moved from version from: the receipt of the
// first reply after which every request started came from another
// version, i.e. the first reply received once the last request that
// from answered had started. ok is false when from answered nothing.
func flipTime(replies []reply, from string) (at time.Time, ok bool) {
	var lastStart time.Time
	for _, r := range replies {
		if r.version == from && r.start.After(lastStart) {
			lastStart, ok = r.start, true
		}
	}
	for _, r := range replies {
		if !r.end.Before(lastStart) && (at.IsZero() || r.end.Before(at)) {
			at = r.end
		}
	}
	return at, ok
}

// flipKind is one way of asking for a rollback while production traffic
// is on green.
type flipKind struct {
	name string
	// config is the deployment configuration that holds the deployment
	// with production on green.
	config string
	// held reports whether the deployment is held there.
	held func(ecs.ServiceDeployment) bool
	// rollback asks for the rollback.
	rollback func(ctx context.Context, c *client.Client, d ecs.ServiceDeployment) error
}

// flipKinds are StopServiceDeployment ROLLBACK during the bake time and
// ContinueServiceDeployment ROLLBACK on a pause hook after the
// production shift.
var flipKinds = []flipKind{
	{
		name:   "stop",
		config: `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":30}`,
		held: func(d ecs.ServiceDeployment) bool {
			return d.LifecycleStage == ecs.ServiceDeploymentLifecycleStageBakeTime
		},
		rollback: func(ctx context.Context, c *client.Client, d ecs.ServiceDeployment) error {
			_, err := c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentRequest{
				ServiceDeploymentArn: d.ServiceDeploymentArn, StopType: ecs.StopServiceDeploymentStopTypeRollback})
			return err
		},
	},
	{
		name: "pause",
		config: `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0,"lifecycleHooks":[{"targetType":"PAUSE",
			"lifecycleStages":["POST_PRODUCTION_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":30}}]}`,
		held: func(d ecs.ServiceDeployment) bool {
			return d.LifecycleStage == ecs.ServiceDeploymentLifecycleStagePostProductionTrafficShift &&
				len(d.LifecycleHookDetails) == 1 && d.LifecycleHookDetails[0].Status == "AWAITING_ACTION"
		},
		rollback: func(ctx context.Context, c *client.Client, d ecs.ServiceDeployment) error {
			_, err := c.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentRequest{
				ServiceDeploymentArn: d.ServiceDeploymentArn, HookId: d.LifecycleHookDetails[0].HookId,
				Action: ecs.DeploymentLifecycleHookActionRollback})
			return err
		},
	},
}

// flipConns is how many keep-alive connections the client keeps busy.
const flipConns = 4

// TestBenchFlip measures the flip latency of rollbacks (issue 9, target
// 2: p99 under 50 ms). The service web runs v1 (blue) behind the built-in
// load balancer; each run deploys v2 BLUE_GREEN, holds it with all of
// production on green, starts a client that keeps flipConns keep-alive
// connections to the production listener busy, asks for the rollback
// and takes the time its acknowledgement arrived; the flip latency is
// flipTime (the first reply after which no request reached v2) minus
// that. It waits for ROLLBACK_SUCCESSFUL before the next run.
//
//	CUTOVER_BENCH=1 go test -run TestBenchFlip -v -timeout 60m ./e2e/
func TestBenchFlip(t *testing.T) {
	benchOnly(t)
	runs := benchRuns(t, 20)
	s := startServer(t)
	c := apiClient(t, s, "AKIDEXAMPLE", "secret")
	prod, _, _, _ := blueGreenService(t, s)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))

	var rows [][]string
	for _, k := range flipKinds {
		t.Run(k.name, func(t *testing.T) {
			var lat []time.Duration
			var requests, failed int
			for i := range runs {
				l, n, f := flipOnce(t, c, prod, k)
				t.Logf("%s run %d: flip %s ms after the acknowledgement (%d requests, %d failed)", k.name, i+1, ms(l), n, f)
				lat = append(lat, l)
				requests += n
				failed += f
			}
			rows = append(rows, []string{k.name, fmt.Sprint(len(lat)), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99)),
				ms(quantile(lat, 1)), fmt.Sprint(requests), fmt.Sprint(failed)})
		})
	}
	benchTable(t, fmt.Sprintf("Flip latency, ms after the rollback's acknowledgement (%d keep-alive connections)", flipConns),
		[]string{"rollback", "runs", "p50", "p99", "max", "requests", "failed"}, rows)
}

// flipOnce runs one deployment of v2 and its rollback, and returns the
// flip latency, the requests sent and how many of them failed.
func flipOnce(t *testing.T, c *client.Client, prod string, k flipKind) (latency time.Duration, requests, failed int) {
	t.Helper()
	arn, _ := benchUpdate(t, c, "web:2", k.config)
	d, _ := untilDeployment(t, c, arn, "", 120*time.Second, k.held)

	rc := startRevisionClient(prod, flipConns)
	defer rc.finish() // when the run fails half way
	deadline := time.Now().Add(10 * time.Second)
	for !flipped(rc.snapshot(), "v2", 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("held with production on green, production does not answer v2 alone")
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := k.rollback(ctx, c, d)
	ack := time.Now()
	if err != nil {
		t.Fatalf("rollback of %s: %v", arn, err)
	}
	// Enough for the flip and half a second of v1 alone after it.
	deadline = ack.Add(10 * time.Second)
	for time.Since(ack) < time.Second || !flipped(rc.snapshot(), "v1", 500*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the rollback production does not answer v1 alone")
		}
		time.Sleep(20 * time.Millisecond)
	}
	replies := rc.finish()
	at, ok := flipTime(replies, "v2")
	if !ok {
		t.Fatal("v2 never answered")
	}
	for _, r := range replies {
		if r.version == "" {
			failed++
		}
	}
	untilDeployment(t, c, arn, "ROLLBACK_SUCCESSFUL", 120*time.Second, func(d ecs.ServiceDeployment) bool {
		return d.Status == "ROLLBACK_SUCCESSFUL"
	})
	return at.Sub(ack), len(replies), failed
}
