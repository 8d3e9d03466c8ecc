package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const cluster = "scale"

// result is what one size measured.
type result struct {
	Services, Tasks int
	Create          time.Duration // creating the services until all are steady
	Idle            planeStats    // over the idle window, heap after GC at steady state
	IdleCPU         float64       // CPU seconds per second at steady state
	IdleRSS         uint64
	Deploys, Done   int
	DeployTime      time.Duration
	Busy            planeStats // over the deployment phase
	BusyCPU         time.Duration
	BusyRSS         uint64
	API             []time.Duration
	ByOp            map[string][]time.Duration
	APIErrs         int
	Late            []time.Duration
	HookRuns        int
	// Load is the machine's 1-minute load average when the deployments
	// ended: what else ran beside the benchmark.
	Load string
}

// options steer a run.
type options struct {
	deploys    int
	rate       int
	delay      time.Duration
	inProgress int
	idle       time.Duration
	profileDir string
	timeout    time.Duration
}

// runSize measures one size: n services of 2 tasks on a fresh control
// plane, steady, then opt.deploys concurrent deployments whose hooks
// answer IN_PROGRESS while the API is called at opt.rate.
func runSize(ctx context.Context, n int, opt options, logf func(string, ...any)) (*result, error) {
	p, err := startPlane()
	if err != nil {
		return nil, err
	}
	defer p.stop()
	hook, err := startHookServer(opt.delay, opt.inProgress)
	if err != nil {
		return nil, err
	}
	defer hook.close()
	c := newECSClient(p.endpoint)
	logf("control plane at %s (pid %d)", p.endpoint, p.cmd.Process.Pid)
	r := &result{Services: n, Tasks: 2 * n}

	if _, err := c.call(ctx, "CreateCluster", map[string]any{"clusterName": cluster}, nil); err != nil {
		return nil, err
	}
	for _, v := range []string{"v1", "v2"} {
		if _, err := c.call(ctx, "RegisterTaskDefinition", taskDef(v), nil); err != nil {
			return nil, err
		}
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%04d", i)
	}
	start := time.Now()
	err = parallel(8, names, func(name string) error {
		_, err := c.call(ctx, "CreateService", map[string]any{
			"cluster": cluster, "serviceName": name, "taskDefinition": "app:1", "desiredCount": 2,
		}, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := untilSteady(ctx, c, names, 5*time.Minute); err != nil {
		return nil, err
	}
	r.Create = time.Since(start)
	logf("%d services steady after %s", n, r.Create.Round(time.Millisecond))

	// Idle: the cost of holding n steady services.
	p.stats() // resets the pass window
	cpu0, _ := p.cpu()
	time.Sleep(opt.idle)
	cpu1, _ := p.cpu()
	if r.Idle, err = p.stats(); err != nil {
		return nil, err
	}
	r.IdleCPU = (cpu1 - cpu0).Seconds() / opt.idle.Seconds()
	r.IdleRSS, _ = p.rss()

	// Busy: concurrent deployments with hooks, the API under load.
	deploying := names[:min(opt.deploys, n)]
	load := &latencyLoad{c: c, cluster: cluster, names: names}
	lctx, stopLoad := context.WithCancel(ctx)
	var lwg sync.WaitGroup
	lwg.Go(func() { load.run(lctx, opt.rate) })
	var prof sync.WaitGroup
	if opt.profileDir != "" {
		prof.Go(func() { profile(p, opt.profileDir, n, 20*time.Second, logf) })
	}
	cpu0, _ = p.cpu()
	start = time.Now()
	arns := make([]string, 0, len(deploying))
	var amu sync.Mutex
	err = parallel(len(deploying), deploying, func(name string) error {
		var out struct {
			Service struct {
				CurrentServiceDeployment string `json:"currentServiceDeployment"`
			} `json:"service"`
		}
		_, err := c.call(ctx, "UpdateService", map[string]any{
			"cluster": cluster, "service": name, "taskDefinition": "app:2",
			"deploymentConfiguration": map[string]any{
				"strategy": "ROLLING", "minimumHealthyPercent": 100, "maximumPercent": 200,
				"lifecycleHooks": []any{map[string]any{
					"hookTargetArn": hook.url, "lifecycleStages": []string{"PRE_SCALE_UP", "POST_SCALE_UP"},
				}},
			},
		}, &out)
		amu.Lock()
		arns = append(arns, out.Service.CurrentServiceDeployment)
		amu.Unlock()
		return err
	})
	if err != nil {
		stopLoad()
		return nil, err
	}
	arns = compact(arns)
	load.setDeployments(arns)
	r.Deploys = len(arns)
	r.Done, err = untilDeployed(ctx, c, arns, opt.timeout)
	r.DeployTime = time.Since(start)
	stopLoad()
	lwg.Wait()
	cpu1, _ = p.cpu()
	if err != nil {
		prof.Wait()
		return nil, err
	}
	r.BusyCPU = cpu1 - cpu0
	r.BusyRSS, _ = p.rss()
	r.Load = loadAverage()
	r.Busy, err = p.stats()
	prof.Wait() // the profile may outlast the deployments
	if err != nil {
		return nil, err
	}
	r.API, r.ByOp, r.APIErrs, _ = load.results()
	if _, _, errs, lastErr := load.results(); errs > 0 {
		logf("%d API calls failed, the last: %v", errs, lastErr)
	}
	r.Late, r.HookRuns, _ = hook.results()
	logf("%d/%d deployments successful after %s", r.Done, r.Deploys, r.DeployTime.Round(time.Millisecond))
	return r, nil
}

// loadAverage returns the machine's 1-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// taskDef is the benchmark's task definition: one container whose
// health check the fake runtime passes at once.
func taskDef(version string) map[string]any {
	return map[string]any{
		"family": "app",
		"containerDefinitions": []any{map[string]any{
			"name": "app", "image": "app:" + version, "essential": true, "command": []string{"serve"},
			"environment":  []any{map[string]string{"name": "VERSION", "value": version}},
			"portMappings": []any{map[string]any{"containerPort": 8080}},
			"healthCheck":  map[string]any{"command": []string{"CMD", "true"}},
		}},
	}
}

// untilSteady waits until every service runs its 2 tasks with one
// COMPLETED deployment.
func untilSteady(ctx context.Context, c *ecsClient, names []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	left := names
	for len(left) > 0 {
		var still []string
		for i := 0; i < len(left); i += 10 {
			var out struct {
				Services []struct {
					ServiceName  string `json:"serviceName"`
					RunningCount int    `json:"runningCount"`
					PendingCount int    `json:"pendingCount"`
					Deployments  []struct {
						RolloutState string `json:"rolloutState"`
					} `json:"deployments"`
				} `json:"services"`
			}
			batch := left[i:min(i+10, len(left))]
			if _, err := c.call(ctx, "DescribeServices", map[string]any{"cluster": cluster, "services": batch}, &out); err != nil {
				return err
			}
			for _, s := range out.Services {
				if s.RunningCount != 2 || s.PendingCount != 0 || len(s.Deployments) != 1 || s.Deployments[0].RolloutState != "COMPLETED" {
					still = append(still, s.ServiceName)
				}
			}
		}
		if left = still; len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d services not steady after %s, %s among them", len(left), timeout, left[0])
		}
		time.Sleep(time.Second)
	}
	return nil
}

// untilDeployed waits until every deployment has ended and returns how
// many succeeded.
func untilDeployed(ctx context.Context, c *ecsClient, arns []string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	left, ok := arns, 0
	for len(left) > 0 {
		var still []string
		for i := 0; i < len(left); i += 20 {
			var out struct {
				ServiceDeployments []struct {
					Arn    string `json:"serviceDeploymentArn"`
					Status string `json:"status"`
				} `json:"serviceDeployments"`
			}
			if _, err := c.call(ctx, "DescribeServiceDeployments", map[string]any{"serviceDeploymentArns": left[i:min(i+20, len(left))]}, &out); err != nil {
				return ok, err
			}
			for _, d := range out.ServiceDeployments {
				switch d.Status {
				case "SUCCESSFUL":
					ok++
				case "PENDING", "IN_PROGRESS", "STOP_REQUESTED", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS":
					still = append(still, d.Arn)
				}
			}
		}
		if left = still; len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return ok, fmt.Errorf("%d deployments not ended after %s", len(left), timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return ok, nil
}

// parallel runs fn for each item on at most workers goroutines and
// returns the first error.
func parallel(workers int, items []string, fn func(string) error) error {
	ch := make(chan string)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range workers {
		wg.Go(func() {
			for it := range ch {
				if err := fn(it); err != nil {
					once.Do(func() { first = err })
				}
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
	return first
}

func compact(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// profile takes a CPU profile of the control plane over d and then its
// allocation profile, into dir.
func profile(p *plane, dir string, n int, d time.Duration, logf func(string, ...any)) {
	get := func(path, file string) {
		resp, err := http.Get(p.endpoint + path)
		if err != nil {
			logf("profile %s: %v", path, err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			logf("profile %s: %v", path, err)
			return
		}
		defer f.Close()
		io.Copy(f, resp.Body)
	}
	get(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), fmt.Sprintf("cpu-%d.pprof", n))
	get("/debug/pprof/allocs", fmt.Sprintf("allocs-%d.pprof", n))
}
