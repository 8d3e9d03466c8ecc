// Command scale measures one control plane at scale: n services of 2
// tasks each, then concurrent deployments whose URL lifecycle hooks
// answer IN_PROGRESS, while a client calls the ECS API at a steady rate.
// It reports API latency, how late hook callbacks arrive, controller pass
// times, CPU and memory (per service), one row per size.
//
// The control plane runs in a child process (this program with -serve):
// the real bolt store, controller, URL hook invoker and ECS API over
// HTTP. The in-tree fake runtime (internal/runtime/fake) stands in for
// the tasks' processes.
//
//	go run ./bench/scale -services 100,300,1000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	serve := flag.String("serve", "", "run the control plane on this data directory (used by the benchmark itself)")
	sizes := flag.String("services", "100,300,1000", "comma-separated numbers of services to measure")
	var opt options
	flag.IntVar(&opt.deploys, "deploys", 100, "concurrent deployments")
	flag.IntVar(&opt.rate, "rate", 100, "API calls per second while the deployments run")
	flag.DurationVar(&opt.delay, "callback-delay", time.Second, "callBackDelay of the hooks' IN_PROGRESS replies")
	flag.IntVar(&opt.inProgress, "in-progress", 3, "IN_PROGRESS replies before a hook run SUCCEEDS")
	flag.DurationVar(&opt.idle, "idle", 10*time.Second, "how long the steady services are watched idle")
	flag.StringVar(&opt.profileDir, "profile", "", "directory for CPU and allocation profiles of the largest size")
	flag.DurationVar(&opt.timeout, "timeout", 5*time.Minute, "how long the deployments may take")
	flag.Parse()
	if *serve != "" {
		if err := servePlane(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		return
	}
	var ns []int
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "scale: bad size %q\n", s)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
	ctx := context.Background()
	var results []*result
	for i, n := range ns {
		o := opt
		if i != len(ns)-1 {
			o.profileDir = ""
		}
		r, err := runSize(ctx, n, o, logf)
		if err != nil {
			fmt.Fprintf(os.Stderr, "scale: %d services: %v\n", n, err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	report(os.Stdout, results, opt)
}

// machine describes where the benchmark ran.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s", goruntime.NumCPU(), model, goruntime.Version())
}
