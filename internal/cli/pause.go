package cli

import (
	"fmt"
	"io"

	"github.com/cutover/cutover/internal/runtime/docker"
)

// runPause is the process of a docker runtime task's network sandbox:
// the runtime runs `cutover pause` in the sandbox container, where it
// waits for SIGTERM.
func runPause(_ []string, _, _ io.Writer) error {
	if code := docker.PauseMain(); code != 0 {
		return fmt.Errorf("pause exited with status %d", code)
	}
	return nil
}
