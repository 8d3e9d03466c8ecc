package docker

import (
	"context"
	"fmt"
	"io"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/cutover/cutover/internal/runtime"
)

// Logs writes the tail of a container's log, stdout and stderr
// interleaved as Docker kept them.
func (d *Driver) Logs(ctx context.Context, id, name string, maxBytes int64, w io.Writer) error {
	st, err := d.Inspect(ctx, id)
	if err != nil {
		return err
	}
	known := false
	for _, c := range st.Containers {
		known = known || c.Name == name
	}
	if !known {
		return fmt.Errorf("container %q of task %s: %w", name, id, runtime.ErrTaskNotFound)
	}
	r, err := d.cli.ContainerLogs(ctx, d.containerName(id, name), container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if cerrdefs.IsNotFound(err) {
		return nil // not created yet: nothing logged
	}
	if err != nil {
		return fmt.Errorf("logs of %s/%s: %w", id, name, unavailable(err))
	}
	defer func() { _ = r.Close() }()
	if maxBytes <= 0 {
		_, err = stdcopy.StdCopy(w, w, r)
		return err
	}
	tail := &tailBuffer{max: int(maxBytes)}
	if _, err := stdcopy.StdCopy(tail, tail, r); err != nil {
		return fmt.Errorf("logs of %s/%s: %w", id, name, err)
	}
	_, err = w.Write(tail.buf)
	return err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

// Write appends p, dropping what falls out of the last max bytes.
func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}
