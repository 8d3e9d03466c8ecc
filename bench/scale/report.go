package main

import (
	"fmt"
	"io"
	"time"
)

// report prints the method and one table row per size.
func report(w io.Writer, rs []*result, opt options) {
	fmt.Fprintf(w, "machine: %s\n", machine())
	fmt.Fprintf(w, "tasks: the in-tree fake runtime (internal/runtime/fake) stands in for processes\n")
	fmt.Fprintf(w, "load: %d concurrent ROLLING deployments, URL hooks at PRE_SCALE_UP and POST_SCALE_UP answering IN_PROGRESS (callBackDelay %s) %d times, then SUCCEEDED; API called %d/s\n\n",
		opt.deploys, opt.delay, opt.inProgress, opt.rate)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	mb := func(b uint64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }

	fmt.Fprintln(w, "| services | tasks | heap MB (after GC) | heap KB/service | RSS MB | idle pass p50 ms | idle CPU % | deployments ok | deploy wall s | busy CPU s | busy pass p50/p99 ms | API calls | API p50/p99/max ms | callbacks | callback late p50/p99/max ms | load avg |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d | %d | %s | %.1f | %s | %s | %.1f | %d/%d | %.1f | %.1f | %s / %s | %d | %s / %s / %s | %d | %s / %s / %s | %s |\n",
			r.Services, r.Tasks, mb(r.Idle.HeapAlloc), float64(r.Idle.HeapAlloc)/1024/float64(r.Services), mb(r.IdleRSS),
			ms(r.Idle.PassP50), 100*r.IdleCPU, r.Done, r.Deploys, r.DeployTime.Seconds(), r.BusyCPU.Seconds(),
			ms(r.Busy.PassP50), ms(r.Busy.PassP99),
			len(r.API), ms(percentile(r.API, 50)), ms(percentile(r.API, 99)), ms(percentile(r.API, 100)),
			len(r.Late), ms(percentile(r.Late, 50)), ms(percentile(r.Late, 99)), ms(percentile(r.Late, 100)), r.Load)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| services | operation | calls | p50 ms | p99 ms | max ms |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|")
	for _, r := range rs {
		for _, op := range []string{"DescribeServices", "ListServices", "DescribeServiceDeployments", "UpdateService"} {
			ds := r.ByOp[op]
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s |\n", r.Services, op, len(ds), ms(percentile(ds, 50)), ms(percentile(ds, 99)), ms(percentile(ds, 100)))
		}
	}
	if len(rs) > 1 {
		a, b := rs[0], rs[len(rs)-1]
		x := float64(b.Services) / float64(a.Services)
		fmt.Fprintf(w, "\nfrom %d to %d services (x%.0f): heap x%.2f, idle CPU x%.2f, idle pass time x%.2f\n", a.Services, b.Services, x,
			float64(b.Idle.HeapAlloc)/float64(a.Idle.HeapAlloc), b.IdleCPU/a.IdleCPU, float64(b.Idle.PassP50)/float64(a.Idle.PassP50))
	}
}
