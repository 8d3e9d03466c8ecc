package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/cutover/cutover/internal/ecs"
)

// Invocation asks for one invocation of a hook run. Its reply (or the
// error invoking it) goes back to the deployment with Answer.
type Invocation struct {
	Deployment string
	HookID     string
	// Attempt is the run's Attempts when the invocation was asked for:
	// Answer ignores a reply to an attempt that was answered already.
	Attempt int
	// Target is the hook's hookTargetArn.
	Target string
	Event  HookEvent
	// Deadline is when the hook times out: no invocation outlives it.
	Deadline time.Time
}

// HookEvent is the event a lifecycle hook receives, as ECS sends it.
type HookEvent struct {
	ExecutionID      string           `json:"executionId"`
	LifecycleStage   string           `json:"lifecycleStage"`
	ResourceArn      string           `json:"resourceArn"`
	ExecutionDetails ExecutionDetails `json:"executionDetails"`
	HookDetails      json.RawMessage  `json:"hookDetails,omitempty"`
}

// ExecutionDetails tells a hook what the deployment is doing. Weights
// are percentages keyed by service revision ARN, filled at the stages
// where traffic moves: the weights a shift moves to at TEST_TRAFFIC_SHIFT
// and PRODUCTION_TRAFFIC_SHIFT, the current production weights at
// PRE_PRODUCTION_TRAFFIC_SHIFT, empty elsewhere.
type ExecutionDetails struct {
	ServiceArn               string             `json:"serviceArn"`
	TargetServiceRevisionArn string             `json:"targetServiceRevisionArn"`
	TestTrafficWeights       map[string]float64 `json:"testTrafficWeights"`
	ProductionTrafficWeights map[string]float64 `json:"productionTrafficWeights"`
}

func (d *Deployment) invocation(h *HookRun, in Input) Invocation {
	ev := HookEvent{
		ExecutionID:    h.ExecutionID,
		LifecycleStage: string(h.Stage),
		ResourceArn:    d.Arn,
		ExecutionDetails: ExecutionDetails{
			ServiceArn:               d.ServiceArn,
			TargetServiceRevisionArn: d.Target.Arn,
			TestTrafficWeights:       map[string]float64{},
			ProductionTrafficWeights: map[string]float64{},
		},
	}
	if h.Details != "" {
		ev.HookDetails = json.RawMessage(h.Details)
	}
	switch h.Stage {
	case ecs.DeploymentLifecycleHookStageTestTrafficShift:
		ev.ExecutionDetails.TestTrafficWeights = d.shiftedWeights(100)
	case ecs.DeploymentLifecycleHookStageProductionTrafficShift:
		ev.ExecutionDetails.ProductionTrafficWeights = d.shiftedWeights(d.stepPercent())
	case ecs.DeploymentLifecycleHookStagePreProductionTrafficShift:
		ev.ExecutionDetails.ProductionTrafficWeights = liveWeights(in.Traffic)
	}
	return Invocation{
		Deployment: d.Arn, HookID: h.ID, Attempt: h.Attempts, Target: h.TargetArn,
		Event: ev, Deadline: h.ExpiresAt,
	}
}

// shiftedWeights are the weights a shift moves to: pct percent on the
// goal, the rest on the other revision (the goal is the previous revision
// when rolling back).
func (d *Deployment) shiftedWeights(pct float64) map[string]float64 {
	w := map[string]float64{}
	for _, rev := range []string{d.Target.Arn, d.RollbackTo} {
		if rev != "" {
			w[rev] = maxPercent - pct
		}
	}
	w[d.Goal()] = pct
	return w
}

// liveWeights are the production rule's weights the data plane serves,
// in percent (to a tenth), keyed by revision.
func liveWeights(tr *Traffic) map[string]float64 {
	w := map[string]float64{}
	if tr == nil {
		return w
	}
	for rev, tg := range tr.TargetGroups {
		w[rev] = livePercent(tr.Live[tr.ProductionRule], tg)
	}
	return w
}

// livePercent is the share of a rule's traffic that goes to group tg, in
// percent rounded to a tenth.
func livePercent(live map[string]int, tg string) float64 {
	total := 0
	for _, v := range live {
		total += v
	}
	if total == 0 {
		return 0
	}
	return math.Round(float64(live[tg])*1000/float64(total)) / 10
}

// Reply is a hook's answer to an invocation.
type Reply struct {
	Status ecs.DeploymentLifecycleHookStatus
	// CallBackDelay is how long to wait before invoking an IN_PROGRESS
	// hook again.
	CallBackDelay time.Duration
	// HookDetails is the JSON to send with the next invocation; empty
	// keeps the current one.
	HookDetails string
}

// DefaultCallBackDelay is the callBackDelay of a reply that gives none.
const DefaultCallBackDelay = 30 * time.Second

// MinCallBackDelay is the shortest callBackDelay honoured (our choice: a
// reply of 0 must not make a busy loop).
const MinCallBackDelay = time.Second

// ParseReply reads a hook's reply: {"hookStatus": "SUCCEEDED" | "FAILED" |
// "IN_PROGRESS", "callBackDelay": seconds, "hookDetails": any JSON}.
func ParseReply(body []byte) (Reply, error) {
	var raw struct {
		HookStatus    *string         `json:"hookStatus"`
		CallBackDelay *float64        `json:"callBackDelay"`
		HookDetails   json.RawMessage `json:"hookDetails"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Reply{}, fmt.Errorf("the reply is not a JSON object: %w", err)
	}
	if raw.HookStatus == nil {
		return Reply{}, fmt.Errorf("the reply has no hookStatus")
	}
	r := Reply{Status: ecs.DeploymentLifecycleHookStatus(*raw.HookStatus), CallBackDelay: DefaultCallBackDelay}
	switch r.Status {
	case ecs.DeploymentLifecycleHookStatusSucceeded, ecs.DeploymentLifecycleHookStatusFailed, ecs.DeploymentLifecycleHookStatusInProgress:
	default:
		return Reply{}, fmt.Errorf("hookStatus %q is not SUCCEEDED, FAILED or IN_PROGRESS", *raw.HookStatus)
	}
	if c := raw.CallBackDelay; c != nil {
		if *c < 0 || math.IsNaN(*c) || *c > MaxHookTimeoutMinutes*60 {
			return Reply{}, fmt.Errorf("callBackDelay %v is not a number of seconds between 0 and %d", *c, MaxHookTimeoutMinutes*60)
		}
		r.CallBackDelay = max(time.Duration(*c*float64(time.Second)), MinCallBackDelay)
	}
	if d := bytes.TrimSpace(raw.HookDetails); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		r.HookDetails = string(d)
	}
	return r, nil
}

// maxLastReply bounds the reply a hook run keeps for display.
const maxLastReply = 2048

// Answer applies the reply to an invocation (or the error that kept it
// from getting one) to the hook run. A reply that is not a valid one
// fails the hook, as an invocation error does; the next step rolls the
// deployment back. It returns ErrHookNotAwaiting when the run no longer
// awaits this reply (answered already, expired, or moved on): a reply
// that comes too late leaves the timeout to the run's timeout action.
func (d *Deployment) Answer(inv Invocation, body []byte, invokeErr error, now time.Time) error {
	for i := range d.Hooks {
		h := &d.Hooks[i]
		if h.ID != inv.HookID {
			continue
		}
		if h.Status != ecs.DeploymentLifecycleHookStatusInProgress || h.Attempts != inv.Attempt || !now.Before(h.ExpiresAt) ||
			!d.current(h) || !d.Ongoing() {
			return fmt.Errorf("%w: hook %s is %s after %d attempts", ErrHookNotAwaiting, h.ID, h.Status, h.Attempts)
		}
		h.Attempts++
		d.UpdatedAt = now
		if invokeErr != nil {
			h.LastReply = shorten(invokeErr.Error())
			h.Status, h.Reason = ecs.DeploymentLifecycleHookStatusFailed, "invoking the hook failed: "+h.LastReply
			return nil
		}
		h.LastReply = shorten(string(body))
		r, err := ParseReply(body)
		switch {
		case err != nil:
			h.Status, h.Reason = ecs.DeploymentLifecycleHookStatusFailed, "invalid hook reply: "+err.Error()
		case r.Status == ecs.DeploymentLifecycleHookStatusInProgress:
			h.NextInvokeAt = now.Add(r.CallBackDelay)
			if r.HookDetails != "" {
				h.Details = r.HookDetails
			}
		case r.Status == ecs.DeploymentLifecycleHookStatusFailed:
			h.Status, h.Reason = r.Status, "the hook replied FAILED"
		default:
			h.Status = r.Status
		}
		return nil
	}
	return fmt.Errorf("%w: no hook %s", ErrHookNotFound, inv.HookID)
}

// shorten cuts s to maxLastReply bytes on a rune boundary.
func shorten(s string) string {
	if len(s) <= maxLastReply {
		return s
	}
	s = s[:maxLastReply]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
