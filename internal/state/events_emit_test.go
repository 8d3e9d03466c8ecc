package state

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
)

var (
	evCluster = evARNs.Cluster("default")
	evService = evARNs.Service("default", "web")
	evDep     = evARNs.ServiceDeployment("default", "web", "0000000000000001")
	evRev1    = evARNs.ServiceRevision("default", "web", 1)
	evRev2    = evARNs.ServiceRevision("default", "web", 2)
	evRev9    = evARNs.ServiceRevision("default", "web", 9) // not stored
)

// evDeployment returns a deployment of evService to evRev2 in status s.
func evDeployment(s ecs.ServiceDeploymentStatus, hooks ...deploy.HookRun) *deploy.Deployment {
	return &deploy.Deployment{
		Arn: evDep, ServiceArn: evService, ClusterArn: evCluster,
		Status: s, Target: deploy.RevisionCounts{Arn: evRev2}, RollbackTo: evRev1,
		Hooks: hooks, CreatedAt: evT0, UpdatedAt: evT0.Add(time.Minute + 5*time.Millisecond),
	}
}

func evHook(id string, s ecs.DeploymentLifecycleHookStatus, reason string) deploy.HookRun {
	h := deploy.HookRun{
		ID: id, Stage: ecs.DeploymentLifecycleHookStagePostTestTrafficShift,
		TargetType: ecs.DeploymentLifecycleHookTargetTypeAwsLambda, TargetArn: "arn:aws:lambda:us-east-1:000000000000:function:check",
		Status: s, StartedAt: evT0, ExpiresAt: evT0.Add(time.Hour), Reason: reason,
	}
	if strings.HasPrefix(id, "ecs-pause-") {
		h.TargetType, h.TargetArn = ecs.DeploymentLifecycleHookTargetTypePause, ""
	}
	return h
}

func deploymentEvent(typ, name string, status ecs.ServiceDeploymentStatus, id, reason string) wantEvent {
	return wantEvent{DetailDeploymentStateChange, []string{evService}, `{"eventType":"` + typ + `","eventName":"` + name +
		`","deploymentId":"` + id + `","serviceDeploymentArn":"` + evDep + `","status":"` + string(status) +
		`","updatedAt":"2026-03-01T12:01:00.005Z","reason":"` + reason + `"}`}
}

func hookEvent(typ, name, id string, status ecs.DeploymentLifecycleHookStatus, extra string) wantEvent {
	target := `"hookType":"AWS_LAMBDA","hookTargetArn":"arn:aws:lambda:us-east-1:000000000000:function:check",`
	if strings.HasPrefix(id, "ecs-pause-") {
		target = `"hookType":"PAUSE",`
	}
	return wantEvent{DetailHookStateChange, []string{evDep}, `{"eventType":"` + typ + `","eventName":"` + name +
		`","hookId":"` + id + `",` + target + `"lifecycleStage":"POST_TEST_TRAFFIC_SHIFT","expiresAt":"2026-03-01T13:00:00.000Z",` +
		`"clusterArn":"` + evCluster + `","serviceArn":"` + evService + `","serviceDeploymentArn":"` + evDep +
		`","status":"` + string(status) + `",` + extra + `"updatedAt":"2026-03-01T12:01:00.005Z"}`}
}

func TestDeploymentEvents(t *testing.T) {
	const (
		inProgress   = ecs.DeploymentLifecycleHookStatusInProgress
		awaiting     = ecs.DeploymentLifecycleHookStatusAwaitingAction
		succeeded    = ecs.DeploymentLifecycleHookStatusSucceeded
		failed       = ecs.DeploymentLifecycleHookStatusFailed
		timedOut     = ecs.DeploymentLifecycleHookStatusTimedOut
		depPending   = ecs.ServiceDeploymentStatusPending
		depRunning   = ecs.ServiceDeploymentStatusInProgress
		depDone      = ecs.ServiceDeploymentStatusSuccessful
		depStopReq   = ecs.ServiceDeploymentStatusStopRequested
		depStopped   = ecs.ServiceDeploymentStatusStopped
		depRBReq     = ecs.ServiceDeploymentStatusRollbackRequested
		depRB        = ecs.ServiceDeploymentStatusRollbackInProgress
		depRBDone    = ecs.ServiceDeploymentStatusRollbackSuccessful
		depRBFailed  = ecs.ServiceDeploymentStatusRollbackFailed
		lambdaHook   = "hook-1"
		pauseHook    = "ecs-pause-2"
		startReason  = "ECS deployment ecs-svc/222 in progress."
		failedReason = "Lifecycle hook hook-1 at POST_TEST_TRAFFIC_SHIFT: it said no"
	)
	withReason := func(d *deploy.Deployment, reason string) *deploy.Deployment { d.StatusReason = reason; return d }
	tests := []struct {
		name          string
		before, after *deploy.Deployment
		want          []wantEvent
	}{
		{"new pending", nil, evDeployment(depPending), nil},
		{"new in progress", nil, evDeployment(depRunning),
			[]wantEvent{deploymentEvent("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS", depRunning, "ecs-svc/222", startReason)}},
		{"starts", evDeployment(depPending), evDeployment(depRunning),
			[]wantEvent{deploymentEvent("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS", depRunning, "ecs-svc/222", startReason)}},
		{"no status change", evDeployment(depRunning), func() *deploy.Deployment {
			d := evDeployment(depRunning)
			d.FailedTasks, d.UpdatedAt = 1, evT0.Add(time.Hour)
			return d
		}(), nil},
		{"target revision unknown", nil, func() *deploy.Deployment {
			d := evDeployment(depRunning)
			d.Target.Arn = evRev9
			return d
		}(), []wantEvent{deploymentEvent("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS", depRunning, "0000000000000001",
			"ECS deployment 0000000000000001 in progress.")}},
		{"completes", evDeployment(depRunning), evDeployment(depDone),
			[]wantEvent{deploymentEvent("INFO", "SERVICE_DEPLOYMENT_COMPLETED", depDone, "ecs-svc/222", "ECS deployment ecs-svc/222 completed.")}},
		{"rolls back", evDeployment(depRunning), withReason(evDeployment(depRB), "alarm fired"),
			[]wantEvent{deploymentEvent("ERROR", "SERVICE_DEPLOYMENT_FAILED", depRB, "ecs-svc/222", "alarm fired")}},
		{"rolled back", evDeployment(depRB), func() *deploy.Deployment {
			d := evDeployment(depRBDone)
			d.Rollback = &deploy.Rollback{Reason: "alarm fired", StartedAt: evT0, RevisionArn: evRev1}
			return d
		}(), []wantEvent{deploymentEvent("INFO", "SERVICE_DEPLOYMENT_COMPLETED", depRBDone, "ecs-svc/222",
			"ECS deployment ecs-svc/222 rolled back to ecs-svc/111")}},
		{"rollback fails", evDeployment(depRB), withReason(evDeployment(depRBFailed), "tasks failed to start"),
			[]wantEvent{deploymentEvent("ERROR", "SERVICE_DEPLOYMENT_FAILED", depRBFailed, "ecs-svc/222", "tasks failed to start")}},
		{"stopped", evDeployment(depStopReq), withReason(evDeployment(depStopped), "stopped by a user"),
			[]wantEvent{deploymentEvent("ERROR", "SERVICE_DEPLOYMENT_FAILED", depStopped, "ecs-svc/222", "stopped by a user")}},
		{"stop requested", evDeployment(depRunning), evDeployment(depStopReq), nil},
		{"rollback requested", evDeployment(depRunning), evDeployment(depRBReq), nil},
		{"hooks start", evDeployment(depRunning),
			evDeployment(depRunning, evHook(lambdaHook, inProgress, ""), evHook(pauseHook, awaiting, "")),
			[]wantEvent{
				hookEvent("INFO", "HOOK_IN_PROGRESS", lambdaHook, inProgress, ""),
				hookEvent("INFO", "HOOK_AWAITING_ACTION", pauseHook, awaiting, ""),
			}},
		{"deployment starts before its first hook", nil, evDeployment(depRunning, evHook(lambdaHook, inProgress, "")),
			[]wantEvent{
				deploymentEvent("INFO", "SERVICE_DEPLOYMENT_IN_PROGRESS", depRunning, "ecs-svc/222", startReason),
				hookEvent("INFO", "HOOK_IN_PROGRESS", lambdaHook, inProgress, ""),
			}},
		{"one hook succeeds",
			evDeployment(depRunning, evHook(lambdaHook, inProgress, ""), evHook(pauseHook, awaiting, "")),
			evDeployment(depRunning, evHook(lambdaHook, succeeded, ""), evHook(pauseHook, awaiting, "")),
			[]wantEvent{hookEvent("INFO", "HOOK_SUCCEEDED", lambdaHook, succeeded, "")}},
		{"hook unchanged", evDeployment(depRunning, evHook(pauseHook, awaiting, "")),
			evDeployment(depRunning, evHook(pauseHook, awaiting, "")), nil},
		{"hook fails before the rollback",
			evDeployment(depRunning, evHook(lambdaHook, inProgress, "")),
			withReason(evDeployment(depRB, evHook(lambdaHook, failed, "it said no")), failedReason),
			[]wantEvent{
				hookEvent("ERROR", "HOOK_FAILED", lambdaHook, failed, `"reason":"it said no",`),
				deploymentEvent("ERROR", "SERVICE_DEPLOYMENT_FAILED", depRB, "ecs-svc/222", failedReason),
			}},
		{"hook times out", evDeployment(depRunning, evHook(pauseHook, awaiting, "")),
			evDeployment(depRunning, evHook(pauseHook, timedOut, "the hook timed out")),
			[]wantEvent{hookEvent("ERROR", "HOOK_TIMED_OUT", pauseHook, timedOut, `"reason":"the hook timed out",`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixClock(t)
			st := openELBStore(t)
			ctx := context.Background()
			err := Update(ctx, st, func(tx Tx) error {
				for n, id := range map[uint64]string{1: "ecs-svc/111", 2: "ecs-svc/222"} {
					r := &Revision{ServiceRevision: ecs.ServiceRevision{ServiceRevisionArn: evARNs.ServiceRevision("default", "web", n)}, Number: n, LegacyID: id}
					if err := tx.PutRevision(r); err != nil {
						return err
					}
				}
				if tt.before != nil {
					return tx.PutDeployment(tt.before)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			after := lastSeq(t, st)
			if err := Update(ctx, st, func(tx Tx) error { return tx.PutDeployment(tt.after) }); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, st, after, tt.want)
		})
	}
}

func TestTaskEvents(t *testing.T) {
	taskArn := evARNs.Task("default", "abc")
	task := func(last, desired string) *Task {
		tk := &Task{
			Task: ecs.Task{
				TaskArn: taskArn, ClusterArn: evCluster, TaskDefinitionArn: evARNs.TaskDefinition("web", 3),
				Group: "service:web", LaunchType: ecs.LaunchTypeExternal,
				LastStatus: last, DesiredStatus: desired, Version: ecs.Int64(1),
				CreatedAt: ecs.TimeOf(evT0), StartedAt: ecs.TimeOf(evT0.Add(1500 * time.Millisecond)),
				Containers: []ecs.Container{{
					ContainerArn: evARNs.Container("default", "abc", "c1"), TaskArn: taskArn, Name: "app", LastStatus: last,
					ManagedAgents: []ecs.ManagedAgent{{Name: "ExecuteCommandAgent", LastStatus: "RUNNING", LastStartedAt: ecs.TimeOf(evT0)}},
				}},
			},
			ID: "abc", ServiceName: "web", Revision: evRev2, HealthChecked: []string{"app"},
		}
		return tk
	}
	detail := func(last, desired string) string {
		return `{"taskArn":"` + taskArn + `","clusterArn":"` + evCluster + `",` +
			`"containers":[{"containerArn":"` + evARNs.Container("default", "abc", "c1") + `","taskArn":"` + taskArn +
			`","name":"app","lastStatus":"` + last + `","managedAgents":[{"lastStartedAt":"2026-03-01T12:00:00.000Z","name":"ExecuteCommandAgent","lastStatus":"RUNNING"}]}],` +
			`"createdAt":"2026-03-01T12:00:00.000Z","desiredStatus":"` + desired + `","group":"service:web","lastStatus":"` + last +
			`","launchType":"EXTERNAL","startedAt":"2026-03-01T12:00:01.500Z","taskDefinitionArn":"` + evARNs.TaskDefinition("web", 3) +
			`","version":1,"updatedAt":"2026-03-01T12:01:30.250Z"}`
	}
	bumped := task(TaskRunning, TaskRunning)
	bumped.Touch()
	tests := []struct {
		name          string
		before, after *Task
		want          []wantEvent
	}{
		{"new", nil, task(TaskPending, TaskRunning),
			[]wantEvent{{DetailTaskStateChange, []string{taskArn}, detail(TaskPending, TaskRunning)}}},
		{"last status", task(TaskPending, TaskRunning), task(TaskRunning, TaskRunning),
			[]wantEvent{{DetailTaskStateChange, []string{taskArn}, detail(TaskRunning, TaskRunning)}}},
		{"desired status", task(TaskRunning, TaskRunning), task(TaskRunning, TaskStopped),
			[]wantEvent{{DetailTaskStateChange, []string{taskArn}, detail(TaskRunning, TaskStopped)}}},
		{"other change", task(TaskRunning, TaskRunning), bumped, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixClock(t)
			st := openELBStore(t)
			ctx := context.Background()
			if tt.before != nil {
				if err := Update(ctx, st, func(tx Tx) error { return tx.PutTask(tt.before) }); err != nil {
					t.Fatal(err)
				}
			}
			after := lastSeq(t, st)
			if err := Update(ctx, st, func(tx Tx) error { return tx.PutTask(tt.after) }); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, st, after, tt.want)
		})
	}
}

func TestServiceEvents(t *testing.T) {
	service := func(steady, throttled bool) *Service {
		return &Service{
			Service: ecs.Service{ServiceArn: evService, ServiceName: "web", ClusterArn: evCluster, Status: ServiceActive},
			Steady:  steady, Throttled: throttled,
		}
	}
	action := func(typ, name string) wantEvent {
		return wantEvent{DetailServiceAction, []string{evService},
			`{"eventType":"` + typ + `","eventName":"` + name + `","clusterArn":"` + evCluster + `","createdAt":"2026-03-01T12:01:30.250Z"}`}
	}
	steady, impaired := action("INFO", "SERVICE_STEADY_STATE"), action("WARN", "SERVICE_TASK_START_IMPAIRED")
	tests := []struct {
		name          string
		before, after *Service
		want          []wantEvent
	}{
		{"new", nil, service(false, false), nil},
		{"new and steady", nil, service(true, false), []wantEvent{steady}},
		{"becomes steady", service(false, false), service(true, false), []wantEvent{steady}},
		{"stays steady", service(true, false), service(true, false), nil},
		{"leaves steady state", service(true, false), service(false, false), nil},
		{"throttled", service(false, false), service(false, true), []wantEvent{impaired}},
		{"stays throttled", service(false, true), service(false, true), nil},
		{"both", service(false, false), service(true, true), []wantEvent{steady, impaired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixClock(t)
			st := openELBStore(t)
			ctx := context.Background()
			if tt.before != nil {
				if err := Update(ctx, st, func(tx Tx) error { return tx.PutService(tt.before) }); err != nil {
					t.Fatal(err)
				}
			}
			after := lastSeq(t, st)
			if err := Update(ctx, st, func(tx Tx) error { return tx.PutService(tt.after) }); err != nil {
				t.Fatal(err)
			}
			checkEvents(t, st, after, tt.want)
		})
	}
}
