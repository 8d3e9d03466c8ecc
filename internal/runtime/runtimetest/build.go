package runtimetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// WithAppBinary builds the test app (runtimetest/testapp) as a static
// binary in a temporary directory, all a container image of it needs,
// and returns what use makes of it; the directory goes afterwards.
func WithAppBinary(use func(bin string) error) error {
	dir, err := os.MkdirTemp("", "cutover-testapp-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	bin := filepath.Join(dir, "testapp")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/cutover/cutover/internal/runtime/runtimetest/testapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the test app: %w: %s", err, out)
	}
	return use(bin)
}
