package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/process"
	"github.com/cutover/cutover/internal/state"
)

// KubernetesConfig configures the kubernetes runtime.
type KubernetesConfig struct {
	// Kubeconfig is the path of the kubeconfig; empty means the
	// in-cluster configuration.
	Kubeconfig string
	// Namespace is the namespace of the tasks' pods; empty means
	// "default".
	Namespace string
}

// runtimeName returns the default runtime cfg names.
func runtimeName(cfg Config) string {
	if cfg.Runtime == "" {
		return state.RuntimeProcess
	}
	return cfg.Runtime
}

// newDrivers makes a driver for every runtime, by name: the tasks of a
// cluster run on the one its cutover:runtime tag names, else on
// cfg.Runtime, which must be one of them. No driver waits for anything:
// the docker runtime finds out whether its daemon answers when it is
// used, and the kubernetes runtime lists its pods in the background (a
// call before it has, with the API server down, returns
// runtime.ErrUnavailable within seconds). A runtime other than the
// default whose driver cannot be made (say, DOCKER_HOST is malformed, or
// there is no kubeconfig and the server does not run in a pod) is left
// out with a warning: the tasks of clusters tagged with it fail to
// start, saying so. closeDrivers releases them. instance is the control
// plane's instance ID (controlPlaneInstance): the docker and kubernetes
// runtimes label tasks with it.
func newDrivers(cfg Config, instance string) (map[string]runtime.Driver, error) {
	if !state.KnownRuntime(runtimeName(cfg)) {
		return nil, fmt.Errorf("unknown runtime %q (known: %s)", cfg.Runtime, state.RuntimeNames())
	}
	drivers := make(map[string]runtime.Driver, len(state.Runtimes))
	for _, name := range state.Runtimes {
		log := cfg.Logger.With("component", "runtime", "runtime", name)
		var d runtime.Driver
		var err error
		switch name {
		case state.RuntimeProcess:
			d, err = process.New(process.Config{Dir: filepath.Join(cfg.DataDir, "runtime"), Logger: log})
		case state.RuntimeDocker:
			d, err = docker.New(docker.Config{Namespace: "cutover-" + instance, Logger: log})
		case state.RuntimeKubernetes:
			// The instance label keeps apart the pods of other control
			// planes in the same namespace.
			d, err = kubernetes.New(kubernetes.Config{
				Kubeconfig: cfg.Kubernetes.Kubeconfig, Namespace: cfg.Kubernetes.Namespace,
				Instance: "cutover-" + instance, Logger: log,
			})
		default:
			err = fmt.Errorf("no driver for runtime %q", name)
		}
		if err != nil && name != runtimeName(cfg) {
			// A runtime nobody configured is no surprise; one that was
			// configured and cannot be had is.
			level := slog.LevelWarn
			if errors.Is(err, kubernetes.ErrNoConfig) {
				level = slog.LevelInfo
			}
			cfg.Logger.Log(context.Background(), level, "runtime not available", "runtime", name, "err", err)
			continue
		}
		if err != nil {
			closeDrivers(drivers)
			return nil, err
		}
		drivers[name] = d
	}
	return drivers, nil
}

// closeDrivers stops what the drivers run for themselves (the kubernetes
// runtime's pod informer). Tasks keep running.
func closeDrivers(drivers map[string]runtime.Driver) {
	for _, d := range drivers {
		if c, ok := d.(io.Closer); ok {
			_ = c.Close()
		}
	}
}
