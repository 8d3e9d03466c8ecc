// Package dockertest gives tests a Docker daemon and the test app's
// image. Without a reachable daemon the tests that need one are skipped
// with a clear message, except when the CI environment variable is set:
// then they fail, so that CI never passes without running them.
package dockertest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// Client returns a client of the Docker daemon of the environment
// (DOCKER_HOST or the default socket), or ends the test when there is
// none: skipped locally, failed in CI.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = cli.Ping(ctx)
		cancel()
	}
	if err != nil {
		msg := "no Docker daemon reachable (" + err.Error() + "); start dockerd to run the docker runtime tests"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set: these tests must run)")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// AppPath is where the test app is in its image.
const AppPath = "/testapp"

var app struct {
	once sync.Once
	ref  string
	err  error
}

// AppImage returns the image of the conformance suite's test app
// (runtimetest.AppMain): a static build of runtimetest/testapp alone in
// an image FROM scratch, at AppPath. It is built once per test binary.
func AppImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	app.once.Do(func() {
		app.err = runtimetest.WithAppBinary(func(bin string) (err error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			app.ref, err = docker.ImportBinary(ctx, cli, bin, AppPath, "cutover-testapp")
			return err
		})
	})
	if app.err != nil {
		t.Fatalf("build the test app image: %v", app.err)
	}
	return app.ref
}
