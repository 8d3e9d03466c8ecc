package e2e

// What the measurements of bench_flip_test.go and bench_deploy_test.go
// share: they run only when asked (CUTOVER_BENCH=1), drive the API
// through the signed API client so that every acknowledgement is
// timestamped when its answer arrives (the aws CLI would add its own
// start-up to every figure), and print their tables.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/ecs"
)

// benchOnly skips a measurement unless CUTOVER_BENCH is set: they take
// minutes and their figures mean something only on a quiet machine.
func benchOnly(t *testing.T) {
	t.Helper()
	if os.Getenv("CUTOVER_BENCH") == "" {
		t.Skip("a measurement: set CUTOVER_BENCH=1 to run it (bench/flip.sh, bench/deploy.sh)")
	}
}

// benchRuns is how many times a measurement repeats: CUTOVER_BENCH_RUNS,
// else def.
func benchRuns(t *testing.T, def int) int {
	t.Helper()
	v := os.Getenv("CUTOVER_BENCH_RUNS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("CUTOVER_BENCH_RUNS=%q: want a positive number", v)
	}
	return n
}

// quantile is the nearest-rank q-quantile of ds (0 < q ≤ 1).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// ms formats d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// benchTable logs a markdown table and, when CUTOVER_BENCH_OUT names a
// file, appends it there for the bench/*.sh wrappers to print.
func benchTable(t *testing.T, title string, header []string, rows [][]string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n| %s |\n|%s\n", title, strings.Join(header, " | "), strings.Repeat(" ---: |", len(header)))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	t.Logf("\n%s", b.String())
	if out := os.Getenv("CUTOVER_BENCH_OUT"); out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := fmt.Fprintf(f, "%s\n", b.String()); err != nil {
			t.Fatal(err)
		}
	}
}

// benchUpdate deploys task definition td to service web of cluster demo
// with the deployment configuration config (JSON), and returns the new
// service deployment's ARN and when the call was acknowledged.
func benchUpdate(t *testing.T, c *client.Client, td, config string) (arn string, ack time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out ecs.UpdateServiceResponse
	err := c.Call(ctx, client.ECSTargetPrefix+"UpdateService", map[string]any{
		"cluster": "demo", "service": "web", "taskDefinition": td, "deploymentConfiguration": json.RawMessage(config),
	}, &out)
	ack = time.Now()
	if err != nil {
		t.Fatalf("UpdateService to %s: %v", td, err)
	}
	if out.Service == nil || out.Service.CurrentServiceDeployment == "" {
		t.Fatalf("UpdateService to %s started no service deployment", td)
	}
	return out.Service.CurrentServiceDeployment, ack
}

// deployment describes one service deployment through the API client.
func deployment(t *testing.T, c *client.Client, arn string) ecs.ServiceDeployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsRequest{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("DescribeServiceDeployments %s: %v", arn, err)
	}
	return out.ServiceDeployments[0]
}

// untilDeployment polls a service deployment every 20 ms until cond
// holds, failing the test if it ends (in another status than want, when
// want is set) or the timeout passes; it returns the deployment and
// when cond was first seen to hold.
func untilDeployment(t *testing.T, c *client.Client, arn, want string, timeout time.Duration, cond func(ecs.ServiceDeployment) bool) (ecs.ServiceDeployment, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := deployment(t, c, arn)
		at := time.Now()
		if cond(d) {
			return d, at
		}
		if st := string(d.Status); ended(st) && st != want {
			t.Fatalf("deployment %s ended %s (%s)", arn, st, d.StatusReason)
		}
		if at.After(deadline) {
			t.Fatalf("deployment %s still %s at %s after %v", arn, d.Status, d.LifecycleStage, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
