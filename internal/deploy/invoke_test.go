package deploy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

const fn = "arn:aws:lambda:us-east-1:000000000000:function:check"

func withLambda(d *Deployment, details string, minutes int32, action ecs.DeploymentLifecycleHookAction, stages ...ecs.DeploymentLifecycleHookStage) *Deployment {
	d.Config.LifecycleHooks = append(d.Config.LifecycleHooks, ecs.DeploymentLifecycleHook{
		HookTargetArn: fn, LifecycleStages: stages, HookDetails: json.RawMessage(details),
		TimeoutConfiguration: &ecs.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: &minutes, Action: action},
	})
	return d
}

// bgStep runs one step of a blue/green deployment with both revisions
// at full size.
func bgStep(d *Deployment, now time.Time, tr *Traffic) Plan {
	both := []Task{healthy("b1", revA), healthy("b2", revA), healthy("g1", revB), healthy("g2", revB)}
	return Next(Input{Now: now, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: tr, Tasks: both})
}

// atPostTest returns a blue/green deployment that just reached
// POST_TEST_TRAFFIC_SHIFT with a Lambda hook there, and its invocation.
func atPostTest(t *testing.T, action ecs.DeploymentLifecycleHookAction) (*Deployment, Invocation) {
	t.Helper()
	d := withLambda(bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageTestTrafficShift), `{"suite":"smoke"}`, 60, action,
		ecs.DeploymentLifecycleHookStagePostTestTrafficShift)
	p := bgStep(d, t0, traffic(tgBlue, tgGreen))
	if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift || len(p.Invoke) != 1 {
		t.Fatalf("stage %s invoke %+v: want one invocation at POST_TEST_TRAFFIC_SHIFT", p.Deployment.Stage, p.Invoke)
	}
	return p.Deployment, p.Invoke[0]
}

func TestLambdaHookEvent(t *testing.T) {
	d, inv := atPostTest(t, ecs.DeploymentLifecycleHookActionRollback)
	h := d.StageHooks()[0]
	if h.TargetType != ecs.DeploymentLifecycleHookTargetTypeAwsLambda || h.Status != ecs.DeploymentLifecycleHookStatusInProgress ||
		!h.ExpiresAt.Equal(t0.Add(time.Hour)) || strings.HasPrefix(h.ID, "ecs-pause-") {
		t.Fatalf("run %+v", h)
	}
	want := Invocation{
		Deployment: d.Arn, HookID: h.ID, Attempt: 0, Target: fn, Deadline: t0.Add(time.Hour),
		Event: HookEvent{
			ExecutionID: h.ExecutionID, LifecycleStage: "POST_TEST_TRAFFIC_SHIFT", ResourceArn: d.Arn,
			ExecutionDetails: ExecutionDetails{
				TargetServiceRevisionArn: revB,
				TestTrafficWeights:       map[string]float64{}, ProductionTrafficWeights: map[string]float64{},
			},
			HookDetails: json.RawMessage(`{"suite":"smoke"}`),
		},
	}
	if !reflect.DeepEqual(inv, want) {
		t.Fatalf("invocation\n got %+v\nwant %+v", inv, want)
	}
	if len(h.ExecutionID) != 36 {
		t.Errorf("executionId %q is not a UUID", h.ExecutionID)
	}
	// Until it answers, the hook is not invoked again and holds the stage.
	p := bgStep(d, t0.Add(time.Minute), traffic(tgBlue, tgGreen))
	if len(p.Invoke) != 1 || p.Deployment.Stage != d.Stage {
		t.Fatalf("unanswered: invoke %v stage %s", p.Invoke, p.Deployment.Stage)
	}
}

func TestLambdaHookReplies(t *testing.T) {
	cases := []struct {
		name   string
		reply  string
		err    error
		stage  ecs.ServiceDeploymentLifecycleStage
		status status
		reason string
	}{
		{name: "succeeded", reply: `{"hookStatus":"SUCCEEDED"}`,
			stage: ecs.ServiceDeploymentLifecycleStageProductionTrafficShift, status: inProgress},
		{name: "failed rolls back", reply: `{"hookStatus":"FAILED"}`,
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: rollbackInProgress, reason: "the hook replied FAILED"},
		{name: "invocation error rolls back", err: errors.New("dial tcp: connection refused"),
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: rollbackInProgress, reason: "invoking the hook failed: dial tcp: connection refused"},
		{name: "garbage rolls back", reply: `<html>`,
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: rollbackInProgress, reason: "invalid hook reply: the reply is not a JSON object"},
		{name: "unknown status rolls back", reply: `{"hookStatus":"MAYBE"}`,
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: rollbackInProgress, reason: `hookStatus "MAYBE"`},
		{name: "in progress holds the stage", reply: `{"hookStatus":"IN_PROGRESS","callBackDelay":5}`,
			stage: ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift, status: inProgress},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, inv := atPostTest(t, ecs.DeploymentLifecycleHookActionRollback)
			if err := d.Answer(inv, []byte(c.reply), c.err, t0); err != nil {
				t.Fatal(err)
			}
			p := bgStep(d, t0.Add(time.Second), traffic(tgBlue, tgGreen))
			got := p.Deployment
			if got.Stage != c.stage || got.Status != c.status || !strings.Contains(got.StatusReason, c.reason) {
				t.Fatalf("stage %s status %s reason %q, want %s %s %q", got.Stage, got.Status, got.StatusReason, c.stage, c.status, c.reason)
			}
			// The step that begins a rollback already moves the test rule
			// back: no pass is spent in between.
			if rolling := c.status == rollbackInProgress; rolling != (len(p.Weights) == 1 && p.Weights[0].Rule == rTest) {
				t.Errorf("weights %v for a deployment %s", p.Weights, got.Status)
			}
			if err := d.Answer(inv, []byte(`{"hookStatus":"SUCCEEDED"}`), nil, t0); !errors.Is(err, ErrHookNotAwaiting) {
				t.Errorf("a second answer to the same attempt: %v, want ErrHookNotAwaiting", err)
			}
		})
	}
}

func TestLambdaHookCallsBackWithItsDetails(t *testing.T) {
	d, inv := atPostTest(t, ecs.DeploymentLifecycleHookActionRollback)
	if err := d.Answer(inv, []byte(`{"hookStatus":"IN_PROGRESS","callBackDelay":10,"hookDetails":{"checks":1}}`), nil, t0); err != nil {
		t.Fatal(err)
	}
	if p := bgStep(d, t0.Add(9*time.Second), traffic(tgBlue, tgGreen)); len(p.Invoke) != 0 || !p.WakeAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("before callBackDelay: invoke %+v, wake at %s", p.Invoke, p.WakeAt)
	}
	p := bgStep(d, t0.Add(10*time.Second), traffic(tgBlue, tgGreen))
	if len(p.Invoke) != 1 || p.Invoke[0].Attempt != 1 || string(p.Invoke[0].Event.HookDetails) != `{"checks":1}` ||
		p.Invoke[0].Event.ExecutionID != inv.Event.ExecutionID {
		t.Fatalf("callback %+v", p.Invoke)
	}
	// A reply without hookDetails keeps the last ones; no callBackDelay
	// means 30 seconds.
	d = p.Deployment
	if err := d.Answer(p.Invoke[0], []byte(`{"hookStatus":"IN_PROGRESS"}`), nil, t0.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	h := d.StageHooks()[0]
	if h.Attempts != 2 || h.Details != `{"checks":1}` || !h.NextInvokeAt.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("run %+v", h)
	}
}

func TestLambdaHookTimeout(t *testing.T) {
	for _, c := range []struct {
		action ecs.DeploymentLifecycleHookAction
		stage  ecs.ServiceDeploymentLifecycleStage
		status status
	}{
		{ecs.DeploymentLifecycleHookActionRollback, ecs.ServiceDeploymentLifecycleStageTestTrafficShift, rollbackInProgress},
		{ecs.DeploymentLifecycleHookActionContinue, ecs.ServiceDeploymentLifecycleStageProductionTrafficShift, inProgress},
	} {
		t.Run(string(c.action), func(t *testing.T) {
			d, inv := atPostTest(t, c.action)
			_ = d.Answer(inv, []byte(`{"hookStatus":"IN_PROGRESS","callBackDelay":3600}`), nil, t0)
			p := bgStep(d, t0.Add(time.Hour), traffic(tgBlue, tgGreen))
			if p.Deployment.Stage != c.stage || p.Deployment.Status != c.status ||
				p.Deployment.Hooks[0].Status != ecs.DeploymentLifecycleHookStatusTimedOut {
				t.Fatalf("stage %s status %s hook %s", p.Deployment.Stage, p.Deployment.Status, p.Deployment.Hooks[0].Status)
			}
		})
	}
}

func TestParallelHooksAtOneStage(t *testing.T) {
	d := withLambda(bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageTestTrafficShift), ``, 60, "",
		ecs.DeploymentLifecycleHookStagePostTestTrafficShift)
	d = withLambda(d, ``, 60, "", ecs.DeploymentLifecycleHookStagePostTestTrafficShift)
	d = withPause(d, ecs.DeploymentLifecycleHookStagePostTestTrafficShift, 60, "")
	p := bgStep(d, t0, traffic(tgBlue, tgGreen))
	d = p.Deployment
	if len(p.Invoke) != 2 || len(d.StageHooks()) != 3 || p.Invoke[0].HookID == p.Invoke[1].HookID {
		t.Fatalf("invoke %+v runs %+v: want both Lambda hooks invoked at once beside the pause", p.Invoke, d.StageHooks())
	}
	answer := func(i int) {
		if err := d.Answer(p.Invoke[i], []byte(`{"hookStatus":"SUCCEEDED"}`), nil, t0); err != nil {
			t.Fatal(err)
		}
	}
	answer(0)
	answer(1)
	if got := bgStep(d, t0, traffic(tgBlue, tgGreen)).Deployment.Stage; got != ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift {
		t.Fatalf("moved to %s while the pause hook awaits", got)
	}
	if err := d.Resolve(d.StageHooks()[2].ID, ecs.DeploymentLifecycleHookActionContinue, t0); err != nil {
		t.Fatal(err)
	}
	if got := bgStep(d, t0, traffic(tgBlue, tgGreen)).Deployment.Stage; got != ecs.ServiceDeploymentLifecycleStageProductionTrafficShift {
		t.Fatalf("stage %s after all three succeeded", got)
	}
}

func TestShiftHooksSeeTheirWeights(t *testing.T) {
	stages := []ecs.DeploymentLifecycleHookStage{
		ecs.DeploymentLifecycleHookStageTestTrafficShift, ecs.DeploymentLifecycleHookStagePreProductionTrafficShift,
		ecs.DeploymentLifecycleHookStageProductionTrafficShift,
	}
	d := withLambda(bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp), ``, 60, "", stages...)
	invoked := map[string]ExecutionDetails{}
	tr := traffic(tgBlue, tgBlue)
	for step := 0; step < 20 && !(d.Rollback != nil && d.Stage == ecs.ServiceDeploymentLifecycleStageCleanUp); step++ {
		p := bgStep(d, t0, tr)
		d = p.Deployment
		for _, w := range p.Weights {
			tr.Live[w.Rule] = w.Weights
		}
		for _, inv := range p.Invoke {
			key := inv.Event.LifecycleStage
			if d.Rollback != nil {
				key = "rollback " + key
			}
			invoked[key] = inv.Event.ExecutionDetails
			reply := `{"hookStatus":"SUCCEEDED"}`
			if d.Rollback == nil && key == "PRODUCTION_TRAFFIC_SHIFT" {
				reply = `{"hookStatus":"FAILED"}`
			}
			if err := d.Answer(inv, []byte(reply), nil, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	green := map[string]float64{revB: 100, revA: 0}
	blue := map[string]float64{revB: 0, revA: 100}
	none := map[string]float64{}
	want := map[string]ExecutionDetails{
		"TEST_TRAFFIC_SHIFT":                {TargetServiceRevisionArn: revB, TestTrafficWeights: green, ProductionTrafficWeights: none},
		"PRE_PRODUCTION_TRAFFIC_SHIFT":      {TargetServiceRevisionArn: revB, TestTrafficWeights: none, ProductionTrafficWeights: blue},
		"PRODUCTION_TRAFFIC_SHIFT":          {TargetServiceRevisionArn: revB, TestTrafficWeights: none, ProductionTrafficWeights: green},
		"rollback TEST_TRAFFIC_SHIFT":       {TargetServiceRevisionArn: revB, TestTrafficWeights: blue, ProductionTrafficWeights: none},
		"rollback PRODUCTION_TRAFFIC_SHIFT": {TargetServiceRevisionArn: revB, TestTrafficWeights: none, ProductionTrafficWeights: blue},
	}
	if !reflect.DeepEqual(invoked, want) {
		t.Fatalf("hooks saw\n%v\nwant\n%v", invoked, want)
	}
	if d.Status != rollbackInProgress || d.Stage != ecs.ServiceDeploymentLifecycleStageCleanUp {
		t.Fatalf("%s at %s (%s), want a rollback cleaning up", d.Status, d.Stage, d.StatusReason)
	}
}

func TestParseReply(t *testing.T) {
	cases := []struct {
		body string
		want Reply
		err  string
	}{
		{body: `{"hookStatus":"SUCCEEDED"}`, want: Reply{Status: "SUCCEEDED", CallBackDelay: DefaultCallBackDelay}},
		{body: `{"hookStatus":"IN_PROGRESS","callBackDelay":2.5,"hookDetails":{"a":[1]}}`,
			want: Reply{Status: "IN_PROGRESS", CallBackDelay: 2500 * time.Millisecond, HookDetails: `{"a":[1]}`}},
		{body: `{"hookStatus":"IN_PROGRESS","callBackDelay":0,"hookDetails":null}`,
			want: Reply{Status: "IN_PROGRESS", CallBackDelay: MinCallBackDelay}},
		{body: `{"hookStatus":"FAILED","extra":true}`, want: Reply{Status: "FAILED", CallBackDelay: DefaultCallBackDelay}},
		{body: ``, err: "not a JSON object"},
		{body: `null`, err: "no hookStatus"},
		{body: `"SUCCEEDED"`, err: "not a JSON object"},
		{body: `{}`, err: "no hookStatus"},
		{body: `{"hookStatus":"succeeded"}`, err: "is not SUCCEEDED"},
		{body: `{"hookStatus":1}`, err: "not a JSON object"},
		{body: `{"hookStatus":"IN_PROGRESS","callBackDelay":-1}`, err: "callBackDelay"},
		{body: `{"hookStatus":"IN_PROGRESS","callBackDelay":"5"}`, err: "not a JSON object"},
		{body: `{"hookStatus":"IN_PROGRESS","callBackDelay":1e300}`, err: "callBackDelay"},
	}
	for _, c := range cases {
		got, err := ParseReply([]byte(c.body))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseReply(%s) = %+v, %v; want error with %q", c.body, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseReply(%s) = %+v, %v; want %+v", c.body, got, err, c.want)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte(`{"hookStatus":"IN_PROGRESS","callBackDelay":5,"hookDetails":{}}`))
	f.Add([]byte(`{"hookStatus":"SUCCEEDED"}`))
	f.Add([]byte(`{"hookStatus":"FAILED","hookDetails":null}`))
	f.Add([]byte(`{"hookStatus":"IN_PROGRESS","callBackDelay":1209600.5}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseReply(body)
		if err != nil {
			return
		}
		switch r.Status {
		case ecs.DeploymentLifecycleHookStatusSucceeded, ecs.DeploymentLifecycleHookStatusFailed, ecs.DeploymentLifecycleHookStatusInProgress:
		default:
			t.Fatalf("ParseReply(%q) accepted status %q", body, r.Status)
		}
		if r.CallBackDelay < MinCallBackDelay || r.CallBackDelay > MaxHookTimeoutMinutes*time.Minute ||
			(r.HookDetails != "" && (!json.Valid([]byte(r.HookDetails)) || r.HookDetails == "null")) {
			t.Fatalf("ParseReply(%q) = %+v", body, r)
		}
	})
}
