package runtimetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildApp builds the test app (runtimetest/testapp) as a static binary
// in dir and returns its path: all a container image of it needs.
func BuildApp(dir string) (string, error) {
	bin := filepath.Join(dir, "testapp")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/cutover/cutover/internal/runtime/runtimetest/testapp")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the test app: %w: %s", err, out)
	}
	return bin, nil
}
