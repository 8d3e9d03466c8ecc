package server

import (
	"fmt"
	"path/filepath"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/docker"
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
// cfg.Runtime, which must be one of them. No driver contacts anything
// yet: the docker runtime finds out whether its daemon answers when it
// is used. A runtime other than the default whose driver cannot be made
// (say, DOCKER_HOST is malformed) is left out with a warning: the tasks
// of clusters tagged with it fail to start, saying so.
func newDrivers(cfg Config) (map[string]runtime.Driver, error) {
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
			var id string
			if id, err = instanceID(cfg.DataDir); err == nil {
				d, err = docker.New(docker.Config{Namespace: "cutover-" + id, Logger: log})
			}
		default:
			err = fmt.Errorf("no driver for runtime %q", name)
		}
		if err != nil && name != runtimeName(cfg) {
			cfg.Logger.Warn("runtime not available", "runtime", name, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		drivers[name] = d
	}
	return drivers, nil
}
