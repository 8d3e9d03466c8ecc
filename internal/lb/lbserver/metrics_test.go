package lbserver

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

func TestAdminMetrics(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	tgt := backendTarget(t, "v1", nil)
	client, stop := startRun(t, Options{Dir: dir})
	ctx := context.Background()
	if err := client.Apply(ctx, testConfig(1, addr, tgt)); err != nil {
		t.Fatal(err)
	}
	waitBody(t, "http://"+addr+"/", "v1")
	for range 3 {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}

	// The target starts in state initial, neither healthy nor not.
	var m lb.Metrics
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if m, err = client.Metrics(ctx); err != nil {
			t.Fatal(err)
		}
		if len(m.LoadBalancers) == 1 && len(m.LoadBalancers[0].TargetGroups) == 1 && m.LoadBalancers[0].TargetGroups[0].HealthyHosts == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the target never counted as healthy: %+v", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// testConfig's listener ARN is not an ELBv2 one: it names its own
	// load balancer.
	if len(m.LoadBalancers) != 1 || m.LoadBalancers[0].ARN != "listener/app" {
		t.Fatalf("GET /metrics load balancers = %+v", m.LoadBalancers)
	}
	l := m.LoadBalancers[0]
	if l.Requests < 4 || l.Target2xx != l.Requests || len(l.TargetGroups) != 1 {
		t.Fatalf("GET /metrics = %+v", l)
	}
	g := l.TargetGroups[0]
	if g.ARN != "tg/app" || g.Requests != l.Requests || g.TargetResponses != l.Requests || g.HealthyHosts != 1 || g.TargetResponseTimeNanos == 0 {
		t.Errorf("target group metrics = %+v", g)
	}
	if m.StartedAt.IsZero() || m.Time.Before(m.StartedAt) {
		t.Errorf("StartedAt %v, Time %v", m.StartedAt, m.Time)
	}

	// The wire shape: what other clients of the socket read.
	raw := adminGet(t, filepath.Join(dir, SocketName), lb.AdminPathMetrics)
	var doc struct {
		StartedAt     string `json:"startedAt"`
		LoadBalancers []struct {
			ARN          string `json:"arn"`
			Requests     uint64 `json:"requests"`
			TargetGroups []struct {
				ARN                     string `json:"arn"`
				Target2xx               uint64 `json:"target2xx"`
				TargetResponseTimeNanos uint64 `json:"targetResponseTimeNanos"`
				HealthyHosts            int    `json:"healthyHosts"`
			} `json:"targetGroups"`
		} `json:"loadBalancers"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if doc.StartedAt == "" || len(doc.LoadBalancers) != 1 || doc.LoadBalancers[0].Requests < 4 ||
		len(doc.LoadBalancers[0].TargetGroups) != 1 || doc.LoadBalancers[0].TargetGroups[0].Target2xx < 4 {
		t.Errorf("GET /metrics body:\n%s", raw)
	}

	// A restarted data plane starts over, with a new StartedAt.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	client, _ = startRun(t, Options{Dir: dir})
	waitBody(t, "http://"+addr+"/", "v1")
	m2, err := client.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.StartedAt.After(m.StartedAt) {
		t.Errorf("after a restart StartedAt %v, before %v", m2.StartedAt, m.StartedAt)
	}
	if n := m2.LoadBalancers[0].Requests; n >= l.Requests {
		t.Errorf("after a restart requests = %d, want fewer than the %d before", n, l.Requests)
	}
}

// adminGet returns the body of GET path on the admin socket sock.
func adminGet(t *testing.T, sock, path string) []byte {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	defer c.CloseIdleConnections()
	res, err := c.Get("http://lb" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
	}
	return body
}
