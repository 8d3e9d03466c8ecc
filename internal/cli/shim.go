package cli

import (
	"fmt"
	"io"

	"github.com/cutover/cutover/internal/runtime/process"
)

// runShim is the process runtime's per-task supervisor; the runtime
// starts it as `cutover shim <task dir>`.
func runShim(args []string, _, _ io.Writer) error {
	if code := process.ShimMain(args); code != 0 {
		return fmt.Errorf("shim exited with status %d", code)
	}
	return nil
}
