package controller_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
)

// blindPlane is a real in-process data plane whose target health cannot
// be read while blind is set, as when the load balancer's admin socket
// does not answer for a moment.
type blindPlane struct {
	controller.DataPlane
	blind *atomic.Bool
}

func (p blindPlane) Health(ctx context.Context) ([]lb.TargetHealth, error) {
	if p.blind.Load() {
		return nil, errors.New("admin socket not answering")
	}
	return p.DataPlane.Health(ctx)
}

// TestRollingWaitsWhileTheLoadBalancerIsUnseen: while the controller
// cannot read the load balancer's target health, a rolling deployment of
// a service behind it neither stops the tasks that serve (without the
// view they would look as if still starting, which a rolling step stops
// freely) nor does anything else; once the view is back it proceeds.
func TestRollingWaitsWhileTheLoadBalancerIsUnseen(t *testing.T) {
	h := newHarness(t)
	b := lb.New(lb.Options{})
	t.Cleanup(func() { b.Close(context.Background()) })
	blind := &atomic.Bool{}
	tg := h.behindLoadBalancer(blindPlane{controller.InProcessPlane(b), blind})

	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2,
		"loadBalancers":[{"targetGroupArn":"`+tg+`","containerName":"app","containerPort":8080}]}`)
	h.passUntil("v1 steady behind the load balancer", func() bool {
		return h.steady("web", map[string]int{"web:1": 2})() && len(h.targets(tg)) == 2
	})

	blind.Store(true)
	h.registerTaskDef("web", "v2", nil)
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	for range 5 {
		h.ctl.Pass(context.Background())
	}
	if stopped := h.tasks(state.TaskStopped); len(stopped) != 0 {
		t.Fatalf("with the load balancer unseen, %d v1 tasks were asked to stop", len(stopped))
	}
	if n := len(h.tasks(state.TaskRunning)); n != 2 {
		t.Fatalf("with the load balancer unseen, %d tasks are wanted running, want the 2 of v1 untouched", n)
	}

	blind.Store(false)
	h.passUntil("v2 steady", h.steady("web", map[string]int{"web:2": 2}))
}

// TestStartCutShortByARestart: the control plane died after the runtime
// took a task but before the store heard of it, and the task's
// supervisor died with it. The record still says PROVISIONING; the next
// start finds the runtime's task stopped. The task must fail (and be
// replaced), not wait for a start that will never come.
func TestStartCutShortByARestart(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", map[string]string{"FAKE_START_PASSES": "1000"})
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("a task started", func() bool { return len(h.driver.Running()) == 1 })

	victim := h.tasks(state.TaskRunning)[0]
	h.driver.Stop(context.Background(), victim.ID)
	err := state.Update(context.Background(), h.store, func(tx state.Tx) error {
		tk, err := tx.Task("c", victim.ID)
		if err != nil {
			return err
		}
		tk.LastStatus = state.TaskProvisioning
		return tx.PutTask(tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ctl = h.newController()

	h.passUntil("the cut-short task stopped and replaced", func() bool {
		return len(h.tasks(state.TaskStopped)) == 1 && len(h.driver.Running()) == 1
	})
	stopped := h.tasks(state.TaskStopped)[0]
	if stopped.ID != victim.ID || stopped.StopCode != "TaskFailedToStart" {
		t.Errorf("stopped task %s with code %q, want %s with TaskFailedToStart", stopped.ID, stopped.StopCode, victim.ID)
	}
	h.passUntil("the stopped task deprovisioned", func() bool {
		return h.tasks(state.TaskStopped)[0].LastStatus == state.TaskStopped
	})
}
