package docker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/cutover/cutover/internal/runtime"
)

// Labels the driver puts on every container it creates. The task's own
// labels (runtime.TaskSpec.Labels) and the container's (dockerLabels)
// are added beside them.
const (
	// LabelDriver holds Config.Namespace: drivers with different
	// namespaces never see each other's containers.
	LabelDriver = "io.cutover.driver"
	// LabelTask holds the task ID.
	LabelTask = "io.cutover.task"
	// LabelContainer holds the container name; the sandbox has none.
	LabelContainer = "com.amazonaws.ecs.container-name"
	// labelSpec, on the sandbox only, holds the task spec as JSON: what a
	// restarted driver needs to finish starting or to stop the task.
	labelSpec = "io.cutover.spec"
)

// Stopped reasons, as ECS words them where it has words for them.
const (
	reasonEssentialExited = "Essential container in task exited"
	reasonUserStop        = "Task stopped by user"
	reasonSandboxExited   = "Task network sandbox exited"
)

// Config configures a Driver.
type Config struct {
	// Host is the Docker endpoint, e.g. unix:///var/run/docker.sock;
	// empty means DOCKER_HOST or Docker's default.
	Host string
	// Namespace separates the containers of this driver from those of
	// other drivers on the same daemon; it prefixes container names.
	// Default "cutover".
	Namespace string
	// HostIP is the address host ports are published on; default
	// 127.0.0.1.
	HostIP string
	// PauseBinary, PauseArgs and PauseEnv run the process that holds each
	// task's network namespace (see PauseMain): by default this
	// executable with the argument "pause".
	PauseBinary string
	PauseArgs   []string
	PauseEnv    []string
	// Logger receives the driver's logs; default slog.Default().
	Logger *slog.Logger
}

// Driver runs tasks as Docker containers through the Docker Engine API.
// The containers of a task share the network namespace of a small
// sandbox container that publishes the task's ports, so they reach each
// other on localhost. Everything the driver needs to know about a task
// is kept on its containers as labels, so a restarted control plane
// re-adopts the tasks that kept running.
type Driver struct {
	cfg   Config
	cli   *client.Client
	log   *slog.Logger
	pause pauseImage

	mu    sync.Mutex
	tasks map[string]*task
}

// task is what the driver remembers of a task while this process runs:
// what it is doing to it, and why the task failed or stops.
type task struct {
	// launch is held while containers of the task are created and
	// started, so that a stop never misses a container being launched.
	launch sync.Mutex
	// The fields below are guarded by Driver.mu.
	taskView
}

// taskView is a copy of the driver's memory of a task.
type taskView struct {
	// starting is set while a goroutine starts the task's containers.
	starting bool
	// stopping is set once the task must stop, for reason; stopInFlight
	// while a goroutine stops its containers.
	stopping     bool
	stopInFlight bool
	reason       string
	// failed holds why containers could not be started.
	failed map[string]string
}

// New returns a driver for cfg. It does not contact the daemon: calls
// fail with runtime.ErrUnavailable while the daemon is unreachable.
func New(cfg Config) (*Driver, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "cutover"
	}
	if !runtime.ValidName(cfg.Namespace) {
		return nil, fmt.Errorf("docker runtime: namespace %q is not a valid name", cfg.Namespace)
	}
	if cfg.HostIP == "" {
		cfg.HostIP = "127.0.0.1"
	}
	if cfg.PauseBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("docker runtime: find own executable for the sandbox image: %w", err)
		}
		cfg.PauseBinary, cfg.PauseArgs = exe, []string{"pause"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	return &Driver{cfg: cfg, cli: cli, log: cfg.Logger, tasks: make(map[string]*task)}, nil
}

// Client returns the driver's Docker client.
func (d *Driver) Client() *client.Client { return d.cli }

// sandboxName and containerName name a task's containers.
func (d *Driver) sandboxName(id string) string { return d.cfg.Namespace + "-" + id }

func (d *Driver) containerName(id, name string) string {
	return d.cfg.Namespace + "-" + id + "-" + name
}

// volumeName names a task volume.
func (d *Driver) volumeName(id, volume string) string {
	return d.cfg.Namespace + "-" + id + "-vol-" + volume
}

// state returns the driver's memory of task id, creating it. d.mu must
// be held.
func (d *Driver) state(id string) *task {
	t := d.tasks[id]
	if t == nil {
		t = &task{taskView: taskView{failed: map[string]string{}}}
		d.tasks[id] = t
	}
	return t
}

// snapshot returns a copy of the driver's memory of task id.
func (d *Driver) snapshot(id string) taskView {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tasks[id]
	if t == nil {
		return taskView{}
	}
	v := t.taskView
	v.failed = maps.Clone(t.failed)
	return v
}

// Start creates the task's sandbox, which records the spec, and starts
// its containers in the background, honouring dependsOn. It returns the
// task's status, PENDING until every container has started.
func (d *Driver) Start(ctx context.Context, spec runtime.TaskSpec) (runtime.TaskStatus, error) {
	if err := validateSpec(spec); err != nil {
		return runtime.TaskStatus{}, err
	}
	d.mu.Lock()
	t := d.state(spec.ID)
	d.mu.Unlock()
	// Concurrent Starts of one task wait here for the first to create
	// the sandbox; the others find it and start nothing.
	t.launch.Lock()
	created, err := d.createSandbox(ctx, spec)
	if created {
		d.mu.Lock()
		t.starting = true
		d.mu.Unlock()
		go d.startContainers(spec)
	}
	t.launch.Unlock()
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	return d.Inspect(ctx, spec.ID)
}

// Inspect returns the task's status. Looking at a task also acts on
// what it shows: a task whose essential container exited is stopped,
// and a task left half-started by an earlier control plane is resumed.
func (d *Driver) Inspect(ctx context.Context, id string) (runtime.TaskStatus, error) {
	if !runtime.ValidName(id) {
		return runtime.TaskStatus{}, runtime.ErrTaskNotFound
	}
	list, err := d.containers(ctx, id)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	obs, ok, err := d.observe(ctx, id, list)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	if !ok {
		return runtime.TaskStatus{}, runtime.ErrTaskNotFound
	}
	return obs.status, nil
}

// List returns the status of every task of this driver's namespace.
func (d *Driver) List(ctx context.Context) ([]runtime.TaskStatus, error) {
	all, err := d.containers(ctx, "")
	if err != nil {
		return nil, err
	}
	byTask := make(map[string][]container.Summary)
	for _, c := range all {
		id := c.Labels[LabelTask]
		byTask[id] = append(byTask[id], c)
	}
	ids := make([]string, 0, len(byTask))
	for id := range byTask {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]runtime.TaskStatus, 0, len(ids))
	for _, id := range ids {
		obs, ok, err := d.observe(ctx, id, byTask[id])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, obs.status)
		}
	}
	return out, nil
}

// Stop asks the task to stop; its containers are stopped in the
// background, dependents before their dependencies, the sandbox last.
func (d *Driver) Stop(ctx context.Context, id string) error {
	st, err := d.Inspect(ctx, id)
	if err != nil {
		return err
	}
	if st.State == runtime.StateStopped {
		return nil
	}
	d.stopTask(id, reasonUserStop)
	return nil
}

// Remove removes a stopped task's containers and task volumes.
func (d *Driver) Remove(ctx context.Context, id string) error {
	if !runtime.ValidName(id) {
		return nil
	}
	list, err := d.containers(ctx, id)
	if err != nil {
		return err
	}
	obs, ok, err := d.observe(ctx, id, list)
	if err != nil {
		return err
	}
	if !ok {
		d.forget(id)
		return nil
	}
	if obs.status.State != runtime.StateStopped {
		return runtime.ErrTaskRunning
	}
	// Dependent containers first: the sandbox, whose label holds the
	// spec, goes last, so a failed Remove can be retried.
	slices.SortFunc(list, func(a, b container.Summary) int {
		return boolOrder(a.Labels[LabelContainer] == "", b.Labels[LabelContainer] == "")
	})
	for _, c := range list {
		err := d.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{RemoveVolumes: true, Force: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("remove container %s: %w", c.Names, unavailable(err))
		}
	}
	if obs.spec != nil {
		for _, v := range taskVolumes(*obs.spec) {
			err := d.cli.VolumeRemove(ctx, d.volumeName(id, v), true)
			if err != nil && !cerrdefs.IsNotFound(err) {
				return fmt.Errorf("remove volume %s: %w", v, unavailable(err))
			}
		}
	}
	d.forget(id)
	return nil
}

// forget drops the driver's memory of a removed task.
func (d *Driver) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tasks[id]; t != nil && !t.starting {
		delete(d.tasks, id)
	}
}

// containers lists the containers of task id (all tasks when id is
// empty) in this driver's namespace, stopped ones included.
func (d *Driver) containers(ctx context.Context, id string) ([]container.Summary, error) {
	f := filters.NewArgs(filters.Arg("label", LabelDriver+"="+d.cfg.Namespace))
	if id != "" {
		f.Add("label", LabelTask+"="+id)
	} else {
		f.Add("label", LabelTask)
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", unavailable(err))
	}
	return list, nil
}

// unavailable marks errors that say the daemon cannot be reached.
func unavailable(err error) error {
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%w: %w", runtime.ErrUnavailable, err)
	}
	return err
}

// boolOrder orders false before true.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

var _ runtime.Driver = (*Driver)(nil)

// errStopping aborts a start when the task is being stopped.
var errStopping = errors.New("task is stopping")
