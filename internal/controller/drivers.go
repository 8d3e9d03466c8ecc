package controller

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
)

// driverOf returns the driver of the runtime t runs on. For a runtime
// without a driver it returns one that knows no task, so that such a
// task still goes through its lifecycle to STOPPED.
func (c *Controller) driverOf(t *state.Task) runtime.Driver {
	if d, ok := c.drivers[t.RuntimeName()]; ok {
		return d
	}
	return noDriver{}
}

// startDriver returns the driver a task starts on, or a *taskFailure
// when its runtime has none.
func (c *Controller) startDriver(t *state.Task) (runtime.Driver, error) {
	name := t.RuntimeName()
	if d, ok := c.drivers[name]; ok {
		return d, nil
	}
	return nil, &taskFailure{reason: fmt.Sprintf("CannotStartContainerError: the %s runtime is not available on this server (available: %s)",
		name, strings.Join(c.runtimeNames(), ", "))}
}

// runtimeNames lists the runtimes that have a driver, sorted.
func (c *Controller) runtimeNames() []string {
	names := make([]string, 0, len(c.drivers))
	for name := range c.drivers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// newTaskRuntime returns the runtime of a task created now in the
// cluster clusterArn: the one its state.RuntimeTag names, else the
// default.
func (c *Controller) newTaskRuntime(tx state.Tx, clusterArn string) (string, error) {
	name, err := tx.ClusterRuntime(clusterArn)
	if err != nil || name != "" {
		return name, err
	}
	return c.defaultRuntime, nil
}

// noDriver stands for a runtime the server has no driver for: it knows
// no task, and starts none.
type noDriver struct{}

var _ runtime.Driver = noDriver{}

func (noDriver) Start(context.Context, runtime.TaskSpec) (runtime.TaskStatus, error) {
	return runtime.TaskStatus{}, fmt.Errorf("%w: no driver for the task's runtime", runtime.ErrUnavailable)
}

func (noDriver) Inspect(context.Context, string) (runtime.TaskStatus, error) {
	return runtime.TaskStatus{}, runtime.ErrTaskNotFound
}

func (noDriver) List(context.Context) ([]runtime.TaskStatus, error) { return nil, nil }

func (noDriver) Stop(context.Context, string) error { return runtime.ErrTaskNotFound }

func (noDriver) Remove(context.Context, string) error { return nil }

func (noDriver) Logs(context.Context, string, string, int64, io.Writer) error {
	return runtime.ErrTaskNotFound
}
