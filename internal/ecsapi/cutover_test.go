package ecsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// alice is the actor of the own operations' tests.
var alice = audit.Actor{Kind: audit.KindAccessKey, ID: "AKIAALICE0000000001", Name: "alice"}

// newAliceAPI is newTestAPI whose every caller is alice.
func newAliceAPI(t *testing.T) (*API, store.Store) {
	api, st := newTestAPI(t)
	api.auth = func(*http.Request, []byte) (audit.Actor, error) { return alice, nil }
	return api, st
}

// callCutover sends req to cutover's operation op and returns the
// status and body.
func callCutover(h http.Handler, op string, req any) (int, []byte) {
	b, _ := json.Marshal(req)
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	r.Header.Set("X-Amz-Target", cutoverapi.TargetPrefix+op)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// errType returns the __type of an error body.
func errType(b []byte) string {
	var e struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(b, &e)
	return e.Type
}

// seedDeployment stores the tasks fixture (cluster default, service web)
// and d as the service's deployment; d.Arn is set.
func seedDeployment(t *testing.T, st store.Store, d *deploy.Deployment) string {
	t.Helper()
	seedTasks(t, st, taskFixtures)
	d.Arn = testARNs.ServiceDeployment("default", "web", "d1")
	d.ServiceArn, d.ClusterArn = testARNs.Service("default", "web"), testARNs.Cluster("default")
	d.Target = deploy.RevisionCounts{Arn: testARNs.ServiceRevision("default", "web", 1), Requested: 2}
	d.CreatedAt, d.UpdatedAt = testNow.Add(-time.Hour), testNow.Add(-time.Hour)
	err := state.Update(context.Background(), st, func(tx state.Tx) error { return tx.PutDeployment(d) })
	if err != nil {
		t.Fatal(err)
	}
	return d.Arn
}

func baking(strategy ecs.DeploymentStrategy) *deploy.Deployment {
	t0 := testNow.Add(-10 * time.Minute)
	return &deploy.Deployment{
		Strategy: strategy, Status: ecs.ServiceDeploymentStatusInProgress,
		Stage: ecs.ServiceDeploymentLifecycleStageBakeTime, StageStarted: t0.Add(2 * time.Minute),
		Config: ecs.DeploymentConfiguration{Strategy: strategy, BakeTimeInMinutes: ecs.Int32(30)},
		Stages: []deploy.StageRun{
			{Stage: ecs.ServiceDeploymentLifecycleStageScaleUp, StartedAt: t0},
			{Stage: ecs.ServiceDeploymentLifecycleStageBakeTime, StartedAt: t0.Add(2 * time.Minute)},
		},
		StartedAt: t0,
	}
}

func TestEndServiceDeploymentBakeTime(t *testing.T) {
	api, st := newAliceAPI(t)
	arn := seedDeployment(t, st, baking(ecs.DeploymentStrategyBlueGreen))
	for range 2 { // asking again changes nothing
		status, body := callCutover(api, cutoverapi.OpEndServiceDeploymentBakeTime, cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: arn})
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
	}
	var d *deploy.Deployment
	var records []cutoverapi.AuditRecord
	err := state.View(context.Background(), st, func(tx state.Tx) (err error) {
		if d, err = tx.Deployment(arn); err != nil {
			return err
		}
		return tx.AuditRecords("default", "web", 0, func(r *cutoverapi.AuditRecord) error { records = append(records, *r); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if !d.BakeEnded.Equal(testNow) {
		t.Errorf("bakeEndedAt = %v, want %v", d.BakeEnded, testNow)
	}
	if len(records) != 1 || records[0].Action != cutoverapi.ActionEndBake || records[0].Actor != alice ||
		records[0].ServiceDeploymentArn != arn || records[0].ClusterArn != testARNs.Cluster("default") {
		t.Errorf("audit trail = %+v, want one EndServiceDeploymentBakeTime by alice", records)
	}
}

func TestEndServiceDeploymentBakeTimeErrors(t *testing.T) {
	ended := baking(ecs.DeploymentStrategyBlueGreen)
	ended.Status = ecs.ServiceDeploymentStatusSuccessful
	cases := []struct {
		name   string
		d      *deploy.Deployment
		req    any
		status int
		typ    string
	}{
		{"rolling has no bake time", baking(ecs.DeploymentStrategyRolling), nil, 400, "InvalidParameterException"},
		{"ended", ended, nil, 400, "ConflictException"},
		{"no ARN", baking(ecs.DeploymentStrategyBlueGreen), map[string]string{}, 400, "InvalidParameterException"},
		{"unknown deployment", baking(ecs.DeploymentStrategyBlueGreen),
			map[string]string{"serviceDeploymentArn": testARNs.ServiceDeployment("default", "web", "nope")}, 400, "ServiceDeploymentNotFoundException"},
		{"unknown field", baking(ecs.DeploymentStrategyBlueGreen), map[string]string{"serviceDeploymentArn": "x", "hookId": "y"}, 400, "SerializationException"},
		{"not JSON", baking(ecs.DeploymentStrategyBlueGreen), "{", 400, "SerializationException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api, st := newAliceAPI(t)
			arn := seedDeployment(t, st, c.d)
			req := c.req
			if req == nil {
				req = cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: arn}
			}
			status, body := callCutover(api, cutoverapi.OpEndServiceDeploymentBakeTime, req)
			if status != c.status || errType(body) != c.typ {
				t.Errorf("status %d %s, want %d %s", status, body, c.status, c.typ)
			}
		})
	}
	api, _ := newTestAPI(t)
	if status, body := callCutover(api, "Nope", struct{}{}); status != 400 || errType(body) != "UnknownOperationException" {
		t.Errorf("unknown operation: %d %s", status, body)
	}
}

func TestDescribeServiceDeploymentDetails(t *testing.T) {
	api, st := newAliceAPI(t)
	d := baking(ecs.DeploymentStrategyBlueGreen)
	d.Hooks = []deploy.HookRun{{
		ID: "h1", Stage: ecs.DeploymentLifecycleHookStagePostScaleUp, TargetType: ecs.DeploymentLifecycleHookTargetTypeAwsLambda,
		TargetArn: "http://127.0.0.1:9/hook", Status: ecs.DeploymentLifecycleHookStatusSucceeded, Attempts: 3, LastReply: `{"hookStatus":"SUCCEEDED"}`,
	}}
	arn := seedDeployment(t, st, d)
	if status, body := callCutover(api, cutoverapi.OpEndServiceDeploymentBakeTime, cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: arn}); status != 200 {
		t.Fatalf("end bake: %d %s", status, body)
	}
	status, body := callCutover(api, cutoverapi.OpDescribeServiceDeploymentDetails, cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var out cutoverapi.DescribeServiceDeploymentDetailsResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	got := out.Details
	if got.ServiceName != "web" || got.ClusterName != "default" || got.ServiceDeployment.ServiceDeploymentArn != arn {
		t.Errorf("names: %+v", got)
	}
	if len(got.Stages) != 2 || got.Stages[0].EndedAt == nil || !got.Stages[0].EndedAt.Equal(got.Stages[1].StartedAt) || got.Stages[1].EndedAt != nil {
		t.Errorf("timeline = %+v: the first stage ends when the second starts, the current one has no end", got.Stages)
	}
	if got.BakeEndedAt == nil || got.BakeEndsAt != nil {
		t.Errorf("bake: ends %v, ended %v; want ended (and no end to count down to)", got.BakeEndsAt, got.BakeEndedAt)
	}
	if len(got.Hooks) != 1 || got.Hooks[0].Attempts != 3 || got.Hooks[0].LastReply == "" || got.Hooks[0].Current {
		t.Errorf("hooks = %+v", got.Hooks)
	}
	if len(got.Revisions) != 1 || got.Revisions[0].Role != "target" || got.Revisions[0].TaskDefinition != testARNs.TaskDefinition("web", 1) {
		t.Errorf("revisions = %+v", got.Revisions)
	}
	// t1 and t2 run; t3 stopped before the deployment was created.
	if len(got.Tasks) != 2 {
		t.Errorf("tasks = %+v, want web's two live tasks", got.Tasks)
	}
	if len(got.Audit) != 1 || got.Audit[0].Actor.Name != "alice" {
		t.Errorf("audit = %+v", got.Audit)
	}
}

func TestListAuditRecordsPaging(t *testing.T) {
	api, st := newAliceAPI(t)
	arn := seedDeployment(t, st, baking(ecs.DeploymentStrategyBlueGreen))
	err := state.Update(context.Background(), st, func(tx state.Tx) error {
		for i := range 5 {
			r := &cutoverapi.AuditRecord{Action: cutoverapi.ActionUpdateService, ServiceArn: testARNs.Service("default", "web")}
			if i%2 == 0 {
				r.ServiceDeploymentArn = arn
			}
			if err := tx.AppendAudit("default", "web", r, testNow); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list := func(req cutoverapi.ListAuditRecordsRequest) (n int, token string) {
		status, body := callCutover(api, cutoverapi.OpListAuditRecords, req)
		var out cutoverapi.ListAuditRecordsResponse
		if status != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("%+v: %d %s", req, status, body)
		}
		return len(out.AuditRecords), out.NextToken
	}
	total, pages := 0, 0
	for token := ""; pages == 0 || token != ""; pages++ {
		var n int
		n, token = list(cutoverapi.ListAuditRecordsRequest{Service: "web", MaxResults: 2, NextToken: token})
		total += n
	}
	if total != 5 || pages != 3 {
		t.Errorf("paged through %d records in %d pages, want 5 in 3", total, pages)
	}
	if n, _ := list(cutoverapi.ListAuditRecordsRequest{Cluster: "default", Service: "web", ServiceDeploymentArn: arn}); n != 3 {
		t.Errorf("the deployment's records: %d, want 3", n)
	}
	for _, req := range []cutoverapi.ListAuditRecordsRequest{{}, {Service: "web", MaxResults: 5000}, {Service: "web", NextToken: "x"}} {
		if status, body := callCutover(api, cutoverapi.OpListAuditRecords, req); status != 400 || errType(body) != "InvalidParameterException" {
			t.Errorf("%+v: %d %s", req, status, body)
		}
	}
	if status, body := callCutover(api, cutoverapi.OpListAuditRecords, cutoverapi.ListAuditRecordsRequest{Service: "nope"}); status != 400 || errType(body) != "ServiceNotFoundException" {
		t.Errorf("unknown service: %d %s", status, body)
	}
}

// TestActionsAreAudited checks that the ECS operations that change what
// runs record their actor.
func TestActionsAreAudited(t *testing.T) {
	api, st := newAliceAPI(t)
	d := baking(ecs.DeploymentStrategyBlueGreen)
	arn := seedDeployment(t, st, d)
	b, _ := json.Marshal(ecs.StopServiceDeploymentRequest{ServiceDeploymentArn: arn})
	// seedDeployment has no previous revision: give it one to return to.
	err := state.Update(context.Background(), st, func(tx state.Tx) error {
		d, err := tx.Deployment(arn)
		if err != nil {
			return err
		}
		d.RollbackTo = testARNs.ServiceRevision("default", "web", 1)
		return tx.PutDeployment(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Call(audit.WithActor(context.Background(), alice), TargetPrefix+"StopServiceDeployment", b); err != nil {
		t.Fatal(err)
	}
	var records []cutoverapi.AuditRecord
	err = state.View(context.Background(), st, func(tx state.Tx) error {
		return tx.AuditRecords("default", "web", 0, func(r *cutoverapi.AuditRecord) error { records = append(records, *r); return nil })
	})
	if err != nil || len(records) != 1 || records[0].Action != cutoverapi.ActionStop || records[0].Actor != alice {
		t.Fatalf("audit trail %+v, %v", records, err)
	}
}
