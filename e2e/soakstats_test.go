package e2e

// The soak's figures: the control plane's goroutines, heap, resident
// memory, threads and open files from its Prometheus metrics, the load
// balancer's from /proc (it exports no Go runtime metrics), their bounds,
// and the soak's final table.

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// procStats is what a process uses; -1 where it is not known.
type procStats struct {
	goroutines, heapInuse, rss, threads, fds float64
}

// processStats reads a process's resident memory, threads and open file
// descriptors from /proc; it knows nothing of goroutines or the heap.
func processStats(pid int) (procStats, error) {
	st := procStats{goroutines: -1, heapInuse: -1}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, fmt.Errorf("read the status of process %d: %w", pid, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseFloat(f[0], 64)
		switch k {
		case "VmRSS":
			st.rss = n * 1024 // kB
		case "Threads":
			st.threads = n
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return st, fmt.Errorf("list the file descriptors of process %d: %w", pid, err)
	}
	st.fds = float64(len(fds))
	return st, nil
}

// serverStats reads the control plane's goroutines, heap, resident
// memory, threads and open file descriptors from its Prometheus metrics.
func serverStats(s *server) (procStats, error) {
	st := procStats{}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(s.url() + "/metrics")
	if err != nil {
		return st, fmt.Errorf("get the metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("get the metrics: %s", resp.Status)
	}
	want := map[string]*float64{
		"go_goroutines": &st.goroutines, "go_memstats_heap_inuse_bytes": &st.heapInuse,
		"process_resident_memory_bytes": &st.rss, "go_threads": &st.threads, "process_open_fds": &st.fds,
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if p := want[name]; ok && p != nil {
			if *p, err = strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
				return st, fmt.Errorf("metric %s: %w", name, err)
			}
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("read the metrics: %w", err)
	}
	if found != len(want) {
		return st, fmt.Errorf("the metrics have %d of %d of %v", found, len(want), slices.Sorted(maps.Keys(want)))
	}
	return st, nil
}

// lbPID finds the `cutover lb` process serving the server's data
// directory.
func lbPID(s *server) (int, error) {
	want := []byte("lb\x00--dir\x00" + filepath.Join(s.dataDir, "lb") + "\x00")
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, want) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no load balancer process for %s", s.dataDir)
}

// soakMiB formats bytes as MiB.
func soakMiB(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// soakStats samples the control plane and the load balancer.
type soakStats struct {
	srv, lb procStats
}

func sampleStats(s *server, lbPid int) (soakStats, error) {
	srv, err := serverStats(s)
	if err != nil {
		return soakStats{}, err
	}
	lb, err := processStats(lbPid)
	return soakStats{srv, lb}, err
}

// steadyStats takes three samples a second apart and keeps the median
// of each figure, so that one burst of requests does not count.
func steadyStats(t *testing.T, s *server, lbPid int) soakStats {
	t.Helper()
	var samples []soakStats
	for i := range 3 {
		if i > 0 {
			time.Sleep(time.Second)
		}
		st, err := sampleStats(s, lbPid)
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, st)
	}
	median := func(f func(soakStats) float64) float64 {
		v := []float64{f(samples[0]), f(samples[1]), f(samples[2])}
		slices.Sort(v)
		return v[1]
	}
	return soakStats{
		srv: procStats{median(func(s soakStats) float64 { return s.srv.goroutines }), median(func(s soakStats) float64 { return s.srv.heapInuse }),
			median(func(s soakStats) float64 { return s.srv.rss }), median(func(s soakStats) float64 { return s.srv.threads }),
			median(func(s soakStats) float64 { return s.srv.fds })},
		lb: procStats{-1, -1, median(func(s soakStats) float64 { return s.lb.rss }), median(func(s soakStats) float64 { return s.lb.threads }),
			median(func(s soakStats) float64 { return s.lb.fds })},
	}
}

// watchPeaks samples the processes every 5 s until the returned
// function is called, and that returns the highest figures seen, from.
func watchPeaks(s *server, lbPid int, from soakStats) func() soakStats {
	peak := from
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Second):
			}
			st, err := sampleStats(s, lbPid)
			if err != nil {
				continue
			}
			peak.srv.goroutines = max(peak.srv.goroutines, st.srv.goroutines)
			peak.srv.heapInuse = max(peak.srv.heapInuse, st.srv.heapInuse)
			peak.srv.rss = max(peak.srv.rss, st.srv.rss)
			peak.srv.threads = max(peak.srv.threads, st.srv.threads)
			peak.srv.fds = max(peak.srv.fds, st.srv.fds)
			peak.lb.rss = max(peak.lb.rss, st.lb.rss)
			peak.lb.threads = max(peak.lb.threads, st.lb.threads)
			peak.lb.fds = max(peak.lb.fds, st.lb.fds)
		}
	}()
	return func() soakStats {
		close(stop)
		<-done
		return peak
	}
}

// checkSoakBounds fails the test if a figure grew past its bound. The
// slack absorbs what a steady process varies by (idle keep-alive
// connections, a GC cycle's garbage); a leak of one goroutine or file
// descriptor per task started (two or more a deployment) exceeds it from
// about 15 deployments on, and one of half a MiB of heap per deployment
// in the long form. Threads are not bounded: the Go runtime keeps the
// threads it made at a peak.
func checkSoakBounds(t *testing.T, before, after soakStats) {
	t.Helper()
	bound := func(what string, start, end, limit float64, format func(float64) string) {
		if end > limit {
			t.Errorf("%s grew from %s to %s, more than the bound %s", what, format(start), format(end), format(limit))
		}
	}
	bound("control plane goroutines", before.srv.goroutines, after.srv.goroutines, before.srv.goroutines*1.2+20, soakCount)
	bound("control plane open files", before.srv.fds, after.srv.fds, before.srv.fds*1.2+20, soakCount)
	bound("control plane heap in use", before.srv.heapInuse, after.srv.heapInuse, 2*before.srv.heapInuse+20<<20, soakMiB)
	bound("control plane resident memory", before.srv.rss, after.srv.rss, 2*before.srv.rss+32<<20, soakMiB)
	bound("load balancer open files", before.lb.fds, after.lb.fds, before.lb.fds*1.2+20, soakCount)
	bound("load balancer resident memory", before.lb.rss, after.lb.rss, 2*before.lb.rss+32<<20, soakMiB)
}

// soakCount formats a number of things.
func soakCount(v float64) string { return strconv.Itoa(int(v)) }

// soakReport logs the soak's table: deployments by strategy and
// outcome, requests per listener, and the processes' figures.
func soakReport(t *testing.T, services []*soakService, plan []*soakDeployment, before, peak, after soakStats, setup, deploying time.Duration) {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(&b, "\nsoak: %d deployments over %d services in %v (set-up %v)\n\n", len(plan), len(services),
		deploying.Round(time.Second), setup.Round(time.Second))

	outcomes := []string{"SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "other"}
	fmt.Fprintf(w, "strategy\t%s\tnot run\t\n", strings.Join(outcomes, "\t"))
	for _, strategy := range []string{"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"} {
		counts := map[string]int{}
		for _, d := range plan {
			if d.strategy != strategy {
				continue
			}
			switch {
			case d.got == "":
				counts["not run"]++
			case d.got == "SUCCESSFUL" || d.got == "ROLLBACK_SUCCESSFUL":
				counts[d.got]++
			default:
				counts["other"]++
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t\n", strategy, counts[outcomes[0]], counts[outcomes[1]], counts[outcomes[2]], counts["not run"])
	}
	fmt.Fprintln(w, "\t\t\t\t\t")
	fmt.Fprintln(w, "kind\tplanned\tas planned\t\t\t")
	for k := range soakKinds {
		planned, done := 0, 0
		for _, d := range plan {
			if d.kind == k {
				planned++
				if d.got == d.want {
					done++
				}
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t\t\t\n", k, planned, done)
	}
	fmt.Fprintln(w, "\t\t\t\t\t")
	fmt.Fprintln(w, "production listener\trequests ok\tfailed\t\t\t")
	for _, svc := range services {
		kind := "blue/green"
		if svc.rolling {
			kind = "rolling"
		}
		fmt.Fprintf(w, "%s (%s)\t%d\t%d\t\t\t\n", svc.name, kind, svc.load.ok.Load(), svc.load.fail.Load())
	}
	fmt.Fprintln(w, "\t\t\t\t\t")
	fmt.Fprintln(w, "process\tstart\tpeak\tend\t\t")
	row := func(what string, f func(soakStats) float64, format func(float64) string) {
		if f(before) < 0 {
			return
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t\t\n", what, format(f(before)), format(f(peak)), format(f(after)))
	}
	row("control plane goroutines", func(s soakStats) float64 { return s.srv.goroutines }, soakCount)
	row("control plane heap in use", func(s soakStats) float64 { return s.srv.heapInuse }, soakMiB)
	row("control plane resident", func(s soakStats) float64 { return s.srv.rss }, soakMiB)
	row("control plane threads", func(s soakStats) float64 { return s.srv.threads }, soakCount)
	row("control plane open files", func(s soakStats) float64 { return s.srv.fds }, soakCount)
	row("load balancer resident", func(s soakStats) float64 { return s.lb.rss }, soakMiB)
	row("load balancer threads", func(s soakStats) float64 { return s.lb.threads }, soakCount)
	row("load balancer open files", func(s soakStats) float64 { return s.lb.fds }, soakCount)
	w.Flush()
	b.WriteString("(the load balancer does not export goroutine or heap figures: its threads and open files stand in)\n")
	t.Log(b.String())
}
