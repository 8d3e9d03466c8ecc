package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/cutover/cutover/internal/runtime"
)

var _ runtime.Watcher = (*Driver)(nil)

// Watch tells of task changes from the daemon's event stream: every
// event of a container of the driver's namespace (created, started,
// died, health changed, removed) names its task in the container's
// labels. The stream is open when Events returns, so the tasks listed
// after it miss nothing.
func (d *Driver) Watch(ctx context.Context, changed func(id string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", LabelDriver+"="+d.cfg.Namespace))
	msgs, errs := d.cli.Events(ctx, events.ListOptions{Filters: f})
	list, err := d.containers(ctx, "")
	if err != nil {
		return fmt.Errorf("watch docker events: %w", err)
	}
	for _, c := range list {
		changed(c.Labels[LabelTask])
	}
	for {
		select {
		case m := <-msgs:
			if id := m.Actor.Attributes[LabelTask]; id != "" {
				changed(id)
			}
		case err := <-errs:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch docker events: %w", unavailable(err))
		}
	}
}
