package deploy

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/ecs"
)

// HookRun is one run of a lifecycle hook at one stage of a deployment.
// A stage's hooks run in parallel; the stage moves on once all of them
// succeeded (or timed out with the CONTINUE action), and any failure
// rolls the deployment back.
type HookRun struct {
	ID            string                                `json:"id"`
	Stage         ecs.DeploymentLifecycleHookStage      `json:"stage"`
	Round         int                                   `json:"round"`
	Step          int                                   `json:"step,omitempty"`
	Index         int                                   `json:"index"`
	TargetType    ecs.DeploymentLifecycleHookTargetType `json:"targetType"`
	TargetArn     string                                `json:"targetArn,omitempty"`
	Status        ecs.DeploymentLifecycleHookStatus     `json:"status"`
	StartedAt     time.Time                             `json:"startedAt"`
	ExpiresAt     time.Time                             `json:"expiresAt"`
	TimeoutAction ecs.DeploymentLifecycleHookAction     `json:"timeoutAction"`
	// Reason says why a run failed or timed out.
	Reason string `json:"reason,omitempty"`

	// The rest is for hooks that are invoked (all but pause hooks).
	//
	// ExecutionID is the event's executionId, the same for every
	// invocation of the run.
	ExecutionID string `json:"executionId,omitempty"`
	// Details is the hookDetails JSON the next invocation sends: the
	// configured one at first, then what the last reply returned.
	Details string `json:"hookDetails,omitempty"`
	// Attempts counts the invocations answered so far.
	Attempts int `json:"attempts,omitempty"`
	// NextInvokeAt is when the next invocation is due.
	NextInvokeAt time.Time `json:"nextInvokeAt,omitzero"`
	// LastReply is the last reply (or invocation error), shortened.
	LastReply string `json:"lastReply,omitempty"`
}

// Hook timeouts, in minutes, as ECS bounds them.
const (
	DefaultHookTimeoutMinutes = 1440
	MaxHookTimeoutMinutes     = 20160
)

// round numbers the passes through the stages: rolling back runs the
// shift stages (and their hooks) again, as new runs.
func (d *Deployment) round() int {
	if d.Rollback != nil {
		return 1
	}
	return 0
}

// current reports whether h is a run of the deployment's current stage
// (of this round and step).
func (d *Deployment) current(h *HookRun) bool {
	return string(h.Stage) == string(d.Stage) && h.Round == d.round() && h.Step == d.Step
}

// StageHooks returns the runs of the deployment's current stage.
func (d *Deployment) StageHooks() []HookRun {
	var out []HookRun
	for i := range d.Hooks {
		if d.current(&d.Hooks[i]) {
			out = append(out, d.Hooks[i])
		}
	}
	return out
}

// runHooks starts the hooks configured for the current stage and reports
// whether they all let it move on. A failed hook fails the deployment.
func (d *Deployment) runHooks(p *Plan, in Input) bool {
	now := in.Now
	stage := ecs.DeploymentLifecycleHookStage(d.Stage)
	if len(d.StageHooks()) == 0 {
		for i, h := range d.Config.LifecycleHooks {
			if slices.Contains(h.LifecycleStages, stage) {
				d.Hooks = append(d.Hooks, d.newRun(i, h, stage, now))
			}
		}
	}
	done := true
	for i := range d.Hooks {
		h := &d.Hooks[i]
		if !d.current(h) {
			continue
		}
		if (h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction || h.Status == ecs.DeploymentLifecycleHookStatusInProgress) &&
			!now.Before(h.ExpiresAt) {
			h.Status, h.Reason = ecs.DeploymentLifecycleHookStatusTimedOut, "the hook timed out"
		}
		if h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction || h.Status == ecs.DeploymentLifecycleHookStatusInProgress {
			p.wakeAt(h.ExpiresAt)
			if h.NextInvokeAt.After(now) {
				p.wakeAt(h.NextInvokeAt)
			}
		}
		switch {
		case h.Status == ecs.DeploymentLifecycleHookStatusInProgress && !now.Before(h.NextInvokeAt):
			p.Invoke = append(p.Invoke, d.invocation(h, in))
			done = false
		case h.Status == ecs.DeploymentLifecycleHookStatusSucceeded:
		case h.Status == ecs.DeploymentLifecycleHookStatusTimedOut && h.TimeoutAction == ecs.DeploymentLifecycleHookActionContinue:
		case h.Status == ecs.DeploymentLifecycleHookStatusFailed, h.Status == ecs.DeploymentLifecycleHookStatusTimedOut:
			d.fail(p, fmt.Sprintf("Lifecycle hook %s at %s: %s", h.ID, h.Stage, h.Reason), true, now)
			return false
		default:
			done = false
		}
	}
	return done
}

func (d *Deployment) newRun(i int, h ecs.DeploymentLifecycleHook, stage ecs.DeploymentLifecycleHookStage, now time.Time) HookRun {
	minutes := DefaultHookTimeoutMinutes
	action := ecs.DeploymentLifecycleHookActionRollback
	if tc := h.TimeoutConfiguration; tc != nil {
		if tc.TimeoutInMinutes != nil {
			minutes = int(*tc.TimeoutInMinutes)
		}
		if tc.Action != "" {
			action = tc.Action
		}
	}
	r := HookRun{
		Stage: stage, Round: d.round(), Step: d.Step, Index: i,
		TargetType: h.TargetType, TargetArn: h.HookTargetArn,
		Status:    ecs.DeploymentLifecycleHookStatusInProgress,
		StartedAt: now, ExpiresAt: now.Add(time.Duration(minutes) * time.Minute), TimeoutAction: action,
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%d|%d", d.Arn, stage, r.Round, r.Step, i))
	id := base64.RawURLEncoding.EncodeToString(sum[:])
	if h.TargetType == ecs.DeploymentLifecycleHookTargetTypePause {
		r.ID, r.Status, r.TargetArn = "ecs-pause-"+id, ecs.DeploymentLifecycleHookStatusAwaitingAction, ""
		return r
	}
	r.ID, r.TargetType = id, ecs.DeploymentLifecycleHookTargetTypeAwsLambda
	r.ExecutionID = uuid.NewSHA1(uuid.NameSpaceURL, sum[:]).String()
	r.Details, r.NextInvokeAt = string(h.HookDetails), now
	return r
}

// Resolve applies ContinueServiceDeployment to the pause hook hookID of
// the current stage: CONTINUE lets it succeed, ROLLBACK fails it. It
// returns ErrHookNotAwaiting when no such hook awaits an action.
func (d *Deployment) Resolve(hookID string, action ecs.DeploymentLifecycleHookAction, now time.Time) error {
	for i := range d.Hooks {
		h := &d.Hooks[i]
		if h.ID != hookID {
			continue
		}
		if h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction || !now.Before(h.ExpiresAt) || !d.current(h) || !d.Ongoing() {
			return fmt.Errorf("%w: hook %s is %s", ErrHookNotAwaiting, hookID, h.Status)
		}
		if action == ecs.DeploymentLifecycleHookActionRollback {
			h.Status, h.Reason = ecs.DeploymentLifecycleHookStatusFailed, "rollback requested through ContinueServiceDeployment"
		} else {
			h.Status = ecs.DeploymentLifecycleHookStatusSucceeded
		}
		d.UpdatedAt = now
		return nil
	}
	return fmt.Errorf("%w: no hook %s", ErrHookNotFound, hookID)
}

// wakeAt asks for a step at t, or sooner.
func (p *Plan) wakeAt(t time.Time) {
	if p.WakeAt.IsZero() || t.Before(p.WakeAt) {
		p.WakeAt = t
	}
}
