package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/fake"
	"github.com/cutover/cutover/internal/state"
)

// withDocker gives the harness's controller a second fake driver as the
// docker runtime, and defaultRuntime as the default one.
func (h *harness) withDocker(defaultRuntime string) *fake.Driver {
	docker := fake.New(h.now)
	h.ctl = controller.New(controller.Config{
		Store: h.store, ARNs: arns, Now: h.now, DefaultRuntime: defaultRuntime,
		Drivers: map[string]runtime.Driver{state.RuntimeProcess: h.driver, state.RuntimeDocker: docker},
	})
	return docker
}

// clusterTasks returns the task records of cluster, live or stopped.
func (h *harness) clusterTasks(cluster string) []state.Task {
	h.t.Helper()
	var out []state.Task
	err := state.View(context.Background(), h.store, func(tx state.Tx) error {
		return tx.Tasks(cluster, "", func(t *state.Task) error {
			out = append(out, *t)
			return nil
		})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// runningIn counts the running tasks of cluster whose record says they
// run on runtime rt.
func (h *harness) runningIn(cluster, rt string) int {
	n := 0
	for _, t := range h.clusterTasks(cluster) {
		if t.LastStatus == state.TaskRunning && t.RuntimeName() == rt {
			n++
		}
	}
	return n
}

func sorted(ids []string) []string {
	slices.Sort(ids)
	return ids
}

// liveIDs returns the IDs of the live task records of cluster.
func (h *harness) liveIDs(cluster string) []string {
	var ids []string
	for _, t := range h.clusterTasks(cluster) {
		if t.LastStatus != state.TaskStopped {
			ids = append(ids, t.ID)
		}
	}
	return sorted(ids)
}

func TestTasksRunOnTheirClusterRuntime(t *testing.T) {
	h := newHarness(t)
	docker := h.withDocker("")
	h.call("CreateCluster", `{"clusterName":"d","tags":[{"key":"cutover:runtime","value":"docker"}]}`)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.call("CreateService", `{"cluster":"d","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("both services running", func() bool {
		return h.runningIn("c", state.RuntimeProcess) == 2 && h.runningIn("d", state.RuntimeDocker) == 1
	})
	if got, want := sorted(h.driver.Running()), h.liveIDs("c"); !slices.Equal(got, want) {
		t.Errorf("process runtime runs %v, want the tasks of cluster c %v", got, want)
	}
	if got, want := sorted(docker.Running()), h.liveIDs("d"); !slices.Equal(got, want) {
		t.Errorf("docker runtime runs %v, want the tasks of cluster d %v", got, want)
	}
	for _, tk := range h.clusterTasks("c") {
		if tk.Runtime != state.RuntimeProcess {
			t.Errorf("task %s of an untagged cluster recorded runtime %q", tk.ID, tk.Runtime)
		}
	}

	// Retagging the cluster moves only the tasks started from then on.
	h.call("TagResource", fmt.Sprintf(`{"resourceArn":%q,"tags":[{"key":"cutover:runtime","value":"process"}]}`, arns.Cluster("d")))
	h.call("UpdateService", `{"cluster":"d","service":"web","desiredCount":2}`)
	h.passUntil("a second task, on the process runtime", func() bool {
		return h.runningIn("d", state.RuntimeDocker) == 1 && h.runningIn("d", state.RuntimeProcess) == 1
	})
	// Many passes later, nothing was swept from the wrong runtime.
	for range 25 {
		h.ctl.Pass(context.Background())
	}
	if n, m := len(docker.Running()), len(h.driver.Running()); n != 1 || m != 3 {
		t.Errorf("docker runs %d tasks and process %d, want 1 and 3", n, m)
	}
}

func TestDefaultRuntime(t *testing.T) {
	h := newHarness(t)
	docker := h.withDocker(state.RuntimeDocker)
	h.call("CreateCluster", `{"clusterName":"p","tags":[{"key":"cutover:runtime","value":"process"}]}`)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.call("CreateService", `{"cluster":"p","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("both services running", func() bool {
		return h.runningIn("c", state.RuntimeDocker) == 1 && h.runningIn("p", state.RuntimeProcess) == 1
	})
	if len(docker.Running()) != 1 || len(h.driver.Running()) != 1 {
		t.Errorf("docker runs %v, process %v", docker.Running(), h.driver.Running())
	}
}

func TestOrphansAreSweptPerRuntime(t *testing.T) {
	h := newHarness(t)
	docker := h.withDocker("")
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("web running", func() bool { return h.runningIn("c", state.RuntimeProcess) == 1 })
	claimed := h.liveIDs("c")[0]
	ctx := context.Background()
	// An orphan on each runtime, and one on docker with the ID of a task
	// that the process runtime runs: not claimed on docker.
	h.driver.Start(ctx, fakeSpec("orphan1"))
	docker.Start(ctx, fakeSpec("orphan2"))
	docker.Start(ctx, fakeSpec(claimed))
	h.passUntil("orphans gone", func() bool {
		return len(docker.Running()) == 0 && slices.Equal(h.driver.Running(), []string{claimed})
	})
	h.passUntil("orphans removed", func() bool {
		sts, _ := docker.List(ctx)
		return len(sts) == 0
	})
}

// unavailable is a driver whose daemon cannot be reached.
type unavailable struct{ *fake.Driver }

func (unavailable) Start(context.Context, runtime.TaskSpec) (runtime.TaskStatus, error) {
	return runtime.TaskStatus{}, fmt.Errorf("%w: cannot connect to the Docker daemon", runtime.ErrUnavailable)
}

func (unavailable) List(context.Context) ([]runtime.TaskStatus, error) {
	return nil, fmt.Errorf("%w: cannot connect to the Docker daemon", runtime.ErrUnavailable)
}

func TestOrphansAreSweptWhileARuntimeIsUnavailable(t *testing.T) {
	h := newHarness(t)
	h.ctl = controller.New(controller.Config{Store: h.store, ARNs: arns, Now: h.now, Drivers: map[string]runtime.Driver{
		state.RuntimeProcess: h.driver, state.RuntimeDocker: unavailable{fake.New(h.now)},
	}})
	h.driver.Start(context.Background(), fakeSpec("orphan"))
	h.passUntil("orphan gone", func() bool { return len(h.driver.Running()) == 0 })
}

func TestTasksThatCannotStart(t *testing.T) {
	tests := []struct {
		name    string
		drivers func(h *harness) map[string]runtime.Driver
		env     map[string]string
		files   []string
		reason  string
	}{
		{
			name:    "runtime without a driver",
			drivers: func(h *harness) map[string]runtime.Driver { return h.drivers() },
			reason:  "CannotStartContainerError: the docker runtime is not available on this server (available: process)",
		},
		{
			name: "daemon unreachable",
			drivers: func(h *harness) map[string]runtime.Driver {
				return map[string]runtime.Driver{state.RuntimeProcess: h.driver, state.RuntimeDocker: unavailable{fake.New(h.now)}}
			},
			reason: "CannotStartContainerError: runtime unavailable: cannot connect to the Docker daemon",
		},
		{
			name: "invalid spec",
			drivers: func(h *harness) map[string]runtime.Driver {
				return map[string]runtime.Driver{state.RuntimeDocker: h.driver}
			},
			env:    map[string]string{"FAKE_START_ERROR": "no such image"},
			reason: "CannotStartContainerError: invalid task spec: no such image",
		},
		{
			name: "missing environment file",
			drivers: func(h *harness) map[string]runtime.Driver {
				return map[string]runtime.Driver{state.RuntimeDocker: h.driver}
			},
			files:  []string{"/nonexistent/web.env"},
			reason: "ResourceInitializationError: failed to read environment file /nonexistent/web.env: no such file or directory",
		},
		{
			name: "environment file on S3",
			drivers: func(h *harness) map[string]runtime.Driver {
				return map[string]runtime.Driver{state.RuntimeDocker: h.driver}
			},
			files:  []string{"arn:aws:s3:::bucket/web.env"},
			reason: "ResourceInitializationError: failed to read environment file arn:aws:s3:::bucket/web.env: not a local file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.ctl = controller.New(controller.Config{Store: h.store, ARNs: arns, Now: h.now, Drivers: tt.drivers(h)})
			h.call("CreateCluster", `{"clusterName":"d","tags":[{"key":"cutover:runtime","value":"docker"}]}`)
			var files []map[string]string
			for _, f := range tt.files {
				files = append(files, map[string]string{"value": f, "type": "s3"})
			}
			h.registerTaskDefWith("web", tt.env, files)
			h.call("CreateService", `{"cluster":"d","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
			var stopped *state.Task
			h.passUntil("a task stopped", func() bool {
				for _, tk := range h.clusterTasks("d") {
					if tk.LastStatus == state.TaskStopped {
						stopped = &tk
						return true
					}
				}
				return false
			})
			if stopped.StopCode != "TaskFailedToStart" || !strings.HasPrefix(stopped.StoppedReason, tt.reason) || !stopped.Failed {
				t.Errorf("stopped task: code %s, failed %v, reason %q; want TaskFailedToStart, a reason starting %q",
					stopped.StopCode, stopped.Failed, stopped.StoppedReason, tt.reason)
			}
			if stopped.Runtime != state.RuntimeDocker {
				t.Errorf("runtime %q", stopped.Runtime)
			}
		})
	}
}

// registerTaskDefWith registers family with one container whose
// environment steers the fake runtime, and environment files.
func (h *harness) registerTaskDefWith(family string, env map[string]string, files []map[string]string) {
	h.t.Helper()
	vars := []map[string]string{}
	for k, v := range env {
		vars = append(vars, map[string]string{"name": k, "value": v})
	}
	cd := map[string]any{"name": "app", "image": "app", "command": []string{"serve"}, "environment": vars}
	if files != nil {
		cd["environmentFiles"] = files
	}
	b, _ := json.Marshal(map[string]any{"family": family, "containerDefinitions": []any{cd}})
	h.call("RegisterTaskDefinition", string(b))
}
