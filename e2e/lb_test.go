package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// backend is an HTTP server that answers with its name, after sleeping
// the milliseconds of its "sleep" query parameter if there is one (slow
// requests are the ones in flight when a load balancer dies).
func backend(t *testing.T, name string) (host string, port int) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ms, err := strconv.Atoi(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		fmt.Fprintln(w, name)
	}))
	t.Cleanup(srv.Close)
	h, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fmt.Sscan(p, &port)
	return h, port
}

// TestLoadBalancerWithTheELBv2CLI sets up a load balancer with the aws
// elbv2 CLI, sends traffic through it, shifts weights, and checks that
// it keeps serving while the control plane is killed and restarted.
func TestLoadBalancerWithTheELBv2CLI(t *testing.T) {
	s := startServer(t)
	lbArn := path(s.mustAWS("elbv2", "create-load-balancer", "--name", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	tgs := map[string]string{}
	for _, name := range []string{"blue", "green"} {
		tgs[name] = path(s.mustAWS("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80",
			"--target-type", "ip", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
			"--healthy-threshold-count", "2"), "TargetGroups", 0, "TargetGroupArn").(string)
		host, port := backend(t, name)
		s.mustAWS("elbv2", "register-targets", "--target-group-arn", tgs[name], "--targets", fmt.Sprintf("Id=%s,Port=%d", host, port))
	}
	_, lport, _ := net.SplitHostPort(freeAddr(t))
	forward := func(blue, green int) string {
		return fmt.Sprintf(`[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":%q,"Weight":%d},{"TargetGroupArn":%q,"Weight":%d}]}}]`,
			tgs["blue"], blue, tgs["green"], green)
	}
	listener := path(s.mustAWS("elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP",
		"--port", lport, "--default-actions", forward(1, 0)), "Listeners", 0, "ListenerArn").(string)
	url := "http://127.0.0.1:" + lport + "/"

	answers := func(n int) map[string]int {
		got := map[string]int{}
		for range n {
			body, err := get(url)
			if err != nil {
				got["error"]++
				continue
			}
			got[strings.TrimSpace(body)]++
		}
		return got
	}
	eventually(t, 30*time.Second, "the listener forwarding to blue", func() bool { return answers(1)["blue"] == 1 })
	eventually(t, 30*time.Second, "blue targets healthy", func() bool {
		h := s.mustAWS("elbv2", "describe-target-health", "--target-group-arn", tgs["blue"])
		return path(h, "TargetHealthDescriptions", 0, "TargetHealth", "State") == "healthy"
	})

	// The data plane keeps serving without the control plane.
	s.kill9()
	if got := answers(50); got["blue"] != 50 {
		t.Fatalf("with the control plane down: %v, want 50 blue", got)
	}
	s.start()
	if got := answers(50); got["blue"] != 50 {
		t.Fatalf("after the control plane restarted: %v, want 50 blue", got)
	}

	// Shift half the traffic, then all of it.
	s.mustAWS("elbv2", "modify-listener", "--listener-arn", listener, "--default-actions", forward(1, 1))
	eventually(t, 30*time.Second, "traffic split between blue and green", func() bool {
		got := answers(200)
		return got["error"] == 0 && got["blue"] > 60 && got["green"] > 60
	})
	s.mustAWS("elbv2", "modify-listener", "--listener-arn", listener, "--default-actions", forward(0, 1))
	eventually(t, 30*time.Second, "all traffic on green", func() bool { return answers(50)["green"] == 50 })
}
