package docker_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/docker/dockertest"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// testPauseEnv makes the test binary, imported as the sandbox image, run
// PauseMain.
const testPauseEnv = "CUTOVER_DOCKER_TEST_PAUSE"

func TestMain(m *testing.M) {
	if os.Getenv(testPauseEnv) == "1" {
		os.Exit(docker.PauseMain())
	}
	os.Exit(m.Run())
}

// testConfig returns a Config whose namespace is the test's own and
// whose sandbox image is this test binary.
func testConfig(t *testing.T) docker.Config {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return docker.Config{
		Namespace:   "cutovertest-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())),
		PauseBinary: exe,
		PauseEnv:    []string{testPauseEnv + "=1", "GORACE=atexit_sleep_ms=0"},
		Logger:      runtimetest.Logger(t),
	}
}

// newTestDriver returns a driver for cfg and removes every container of
// its namespace when the test ends.
func newTestDriver(t *testing.T, cfg docker.Config) *docker.Driver {
	t.Helper()
	d, err := docker.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { removeNamespace(t, d, cfg.Namespace) })
	return d
}

// removeNamespace force-removes whatever containers of namespace are left.
func removeNamespace(t *testing.T, d *docker.Driver, namespace string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := d.Client().ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", docker.LabelDriver+"="+namespace))})
	if err != nil {
		t.Errorf("cleanup: list containers: %v", err)
		return
	}
	for _, c := range list {
		if err := d.Client().ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Errorf("cleanup: remove %v: %v", c.Names, err)
		}
	}
}

// app describes the test app image to the conformance suite.
func app(t *testing.T) runtimetest.App {
	cli := dockertest.Client(t)
	image := dockertest.AppImage(t, cli)
	return runtimetest.App{
		Command: func(args ...string) []string { return append([]string{dockertest.AppPath}, args...) },
		Env:     map[string]string{runtimetest.EnvListenHost: "0.0.0.0"},
		Image:   image,
	}
}

// TestConformance runs the runtime.Driver conformance suite.
func TestConformance(t *testing.T) {
	a := app(t)
	runtimetest.Run(t, func(t *testing.T) runtime.Driver {
		return newTestDriver(t, testConfig(t))
	}, a)
}
