package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/hooks"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/fake"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

// arns are the region and account of the benchmark's control plane.
var arns = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// statsPath serves the control plane's own figures (planeStats).
const statsPath = "/debug/scale"

// planeStats is what the control plane process reports of itself: its
// heap after a forced GC, and the controller passes since the last reset.
type planeStats struct {
	HeapAlloc  uint64        `json:"heapAlloc"`
	HeapInuse  uint64        `json:"heapInuse"`
	Sys        uint64        `json:"sys"`
	Goroutines int           `json:"goroutines"`
	Passes     int           `json:"passes"`
	PassP50    time.Duration `json:"passP50"`
	PassP99    time.Duration `json:"passP99"`
	PassMax    time.Duration `json:"passMax"`
}

// passRecorder keeps the durations of controller passes.
type passRecorder struct {
	mu    sync.Mutex
	times []time.Duration
}

func (p *passRecorder) done(took time.Duration) {
	p.mu.Lock()
	p.times = append(p.times, took)
	p.mu.Unlock()
}

// take returns the passes recorded since the last take and forgets them.
func (p *passRecorder) take() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.times
	p.times = nil
	return out
}

// servePlane runs the control plane in this process until SIGTERM: the
// real bolt store in dataDir, the real controller with the fake runtime
// standing in for processes, the real URL hook invoker and the real ECS
// API over HTTP. It prints "LISTEN <addr>" once the API serves. Left
// out of the server's assembly: the load balancer process (the services
// have none), the event webhooks, the dashboard and CloudWatch.
func servePlane(dataDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := bolt.Open(filepath.Join(dataDir, "state.db"), 5*time.Second)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	invoker, err := hooks.New(hooks.Config{Region: arns.Region, SigningSecret: []byte(rand.Text()), Logger: log})
	if err != nil {
		return fmt.Errorf("hook invoker: %w", err)
	}
	passes := &passRecorder{}
	ctl := controller.New(controller.Config{
		Store: st, ARNs: arns, Logger: log.With("component", "controller"), Hooks: invoker, PassDone: passes.done,
		Drivers: map[string]runtime.Driver{state.RuntimeProcess: fake.New(time.Now)},
	})
	api := ecsapi.New(ecsapi.Config{Store: st, ARNs: arns, Changed: ctl.Wake, ServiceChanged: ctl.ServiceChanged, Logger: log.With("component", "ecsapi")})

	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc(statsPath, func(w http.ResponseWriter, r *http.Request) {
		goruntime.GC()
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		s := planeStats{HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, Sys: ms.Sys, Goroutines: goruntime.NumGoroutine()}
		t := passes.take()
		s.Passes = len(t)
		s.PassP50, s.PassP99, s.PassMax = percentile(t, 50), percentile(t, 99), percentile(t, 100)
		json.NewEncoder(w).Encode(s)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	wg.Go(func() { ctl.Run(ctx) })
	go srv.Serve(ln)
	fmt.Printf("LISTEN %s\n", ln.Addr())
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	cancel()
	wg.Wait()
	return nil
}

// percentile returns the p-th percentile of ds (p=100: the maximum),
// zero for none. ds is sorted in place.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
