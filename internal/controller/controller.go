package controller

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Config configures a Controller.
type Config struct {
	Store store.Store
	// Drivers are the runtimes tasks run on, by name (state.RuntimeProcess,
	// state.RuntimeDocker). A task whose runtime has no driver here fails
	// to start.
	Drivers map[string]runtime.Driver
	// DefaultRuntime is the runtime of the tasks of clusters without the
	// state.RuntimeTag tag; empty means state.RuntimeProcess.
	DefaultRuntime string
	ARNs           state.ARNs
	Logger         *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Interval between passes; zero means 500ms. Wake starts one sooner.
	Interval time.Duration
	// DataPlane is the load balancer data plane; nil when there is none.
	DataPlane DataPlane
	// LBAddress is the address the data plane binds listeners on.
	LBAddress string
	// Certificates finds the files of the certificates HTTPS listeners
	// name; nil when none is configured.
	Certificates state.CertificateFiles
	// Hooks invokes lifecycle hooks; nil fails every invoked hook.
	Hooks HookInvoker
	// PassDone, optional, is called after each pass with how long it
	// took (for metrics and the scale benchmark). It must not block.
	PassDone func(took time.Duration)
}

// Controller reconciles stored state with the runtime. Create it with New.
type Controller struct {
	store          store.Store
	drivers        map[string]runtime.Driver
	defaultRuntime string // of clusters without state.RuntimeTag
	arns           state.ARNs
	log            *slog.Logger
	now            func() time.Time
	interval       time.Duration
	wake           chan struct{}
	// dueWake says that the alarm for due services went off (due.go).
	dueWake chan struct{}
	passes  int
	// revs caches what passes need of each (immutable) revision.
	revs revisionCache
	// indexed is set once the store indexes each service's tasks.
	indexed bool

	dataPlane DataPlane
	lbAddress string
	certs     state.CertificateFiles
	// plane is what the data plane served at the last sync (nil before,
	// and after a failed one). Due services read it beside the pass.
	plane atomic.Pointer[dataPlaneView]
	// syncMu serializes syncs of the data plane.
	syncMu sync.Mutex
	// planeStale is set when a step stored something the data plane
	// should serve at once: a target registered or deregistered, weights
	// a plan asks for. The pass, or the due services, push it at their
	// end (pushIfStale).
	planeStale atomic.Bool

	hooks    HookInvoker
	passDone func(time.Duration)
	// wg tracks hook invocations and the followers; dispatched
	// says which attempt of each hook run was started last (by
	// "deployment|hookId").
	wg         sync.WaitGroup
	mu         sync.Mutex
	dispatched map[string]*dispatch
	// alarm wakes the controller at alarmAt.
	alarm   *time.Timer
	alarmAt time.Time
	// due says when each service has something to do next (see
	// due.go); nextDue is the earliest of those times.
	due     map[serviceKey]time.Time
	nextDue time.Time
	// seen is what the last task sync read of each task, by
	// "cluster/id" (tasks.go); only the pass's goroutine uses it.
	seen map[string]seenTask
	// steady remembers the services a pass may leave alone (steady.go).
	steady map[serviceKey]steadyService
}

// New returns a controller; call Run to start it.
func New(cfg Config) *Controller {
	c := &Controller{
		store: cfg.Store, drivers: cfg.Drivers, defaultRuntime: cfg.DefaultRuntime, arns: cfg.ARNs, log: cfg.Logger,
		now: cfg.Now, interval: cfg.Interval, wake: make(chan struct{}, 1), dueWake: make(chan struct{}, 1),
		dataPlane: cfg.DataPlane, lbAddress: cfg.LBAddress, certs: cfg.Certificates,
		hooks: cfg.Hooks, passDone: cfg.PassDone, dispatched: map[string]*dispatch{}, due: map[serviceKey]time.Time{}, steady: map[serviceKey]steadyService{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.defaultRuntime == "" {
		c.defaultRuntime = state.RuntimeProcess
	}
	if c.interval == 0 {
		c.interval = 500 * time.Millisecond
	}
	return c
}

// Wake asks for a pass as soon as possible. It never blocks.
func (c *Controller) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// wakeAt asks for a pass at t (by the controller's clock) if that comes
// before the next one already asked for: a hook's callback or the end of
// a bake time is handled then rather than at the next regular pass.
func (c *Controller) wakeAt(t time.Time) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.alarm != nil && !c.alarmAt.After(t) {
		return
	}
	if c.alarm != nil {
		c.alarm.Stop()
	}
	c.alarmAt = t
	var alarm *time.Timer
	alarm = time.AfterFunc(max(t.Sub(c.now()), 0), func() {
		c.mu.Lock()
		if c.alarm == alarm {
			c.alarm = nil
		}
		c.mu.Unlock()
		select {
		case c.dueWake <- struct{}{}:
		default:
		}
	})
	c.alarm = alarm // under c.mu, before the timer can look
}

// Run runs passes until ctx is done, then waits for the hook
// invocations under way to give up. Passes come every interval, on
// Wake, when a service is due, and when the data plane or a runtime
// tells of a change (follow.go).
func (c *Controller) Run(ctx context.Context) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	defer c.wg.Wait()
	c.follow(ctx)
	for {
		c.Pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.wake:
		}
	}
}

// housekeepingEvery is how many passes go by between two sweeps for
// runtime tasks that no record claims and for expired task records.
const housekeepingEvery = 20

// Pass runs one reconciliation pass. Errors are logged, not returned:
// whatever failed is retried by the next pass.
func (c *Controller) Pass(ctx context.Context) {
	if c.passDone != nil {
		start := time.Now()
		defer func() { c.passDone(time.Since(start)) }()
	}
	if !c.indexed {
		// A store from before the index: fill it once (the API and the
		// passes read correctly without it, only slower).
		err := state.IndexServiceTasks(ctx, c.store)
		if c.indexed = err == nil; err != nil && ctx.Err() == nil {
			c.log.Error("index tasks by service", "err", err)
		}
	}
	if c.passes%housekeepingEvery == 0 {
		if err := c.sweepOrphans(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("sweep orphaned tasks", "err", err)
		}
		if err := c.pruneStopped(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("prune stopped tasks", "err", err)
		}
		c.forgetDispatches()
	}
	c.passes++
	c.runDue(ctx)
	c.syncPlane(ctx)
	c.syncTasks(ctx)
	if c.reconcileServices(ctx) {
		// New tasks to start or stop: do it now rather than next pass.
		c.syncTasks(ctx)
	}
	c.pushIfStale(ctx)
}

// pushIfStale pushes the data plane when a step stored something it
// should serve, and wakes a pass to go on from there: a new task's
// target is health-checked from now on, not from the next pass; a
// drained one stops getting requests now, and the pass right after stops
// its task once its delay is over; new weights serve now, and the pass
// after sees them served and moves the deployment on. It wakes a pass
// only when it pushed something: should the engine ask for what already
// serves, the tick paces it.
func (c *Controller) pushIfStale(ctx context.Context) {
	if c.planeStale.Swap(false) && c.syncPlane(ctx) {
		c.Wake()
	}
}

// syncPlane syncs the data plane and logs what failed. Without a fresh
// view of the data plane nothing counts as healthy behind it and no
// shift is seen done: deployments wait. The pass and due services (due.go)
// sync it, one at a time. It reports whether it pushed a configuration.
func (c *Controller) syncPlane(ctx context.Context) bool {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	pushed, err := c.syncDataPlane(ctx)
	if err != nil && ctx.Err() == nil {
		c.plane.Store(nil)
		c.log.Error("sync load balancer", "err", err)
	}
	return pushed
}
