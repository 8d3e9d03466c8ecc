package ecsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// This file serves cutover's own operations (package cutoverapi).

// cutoverOperations maps cutover's operations to their handlers. Their
// requests are not in the ECS model: each handler checks its own.
func (a *API) cutoverOperations() map[string]handler {
	return map[string]handler{
		cutoverapi.OpEndServiceDeploymentBakeTime:     strictOp(a.endBakeTime),
		cutoverapi.OpDescribeServiceDeploymentDetails: strictOp(a.describeDeploymentDetails),
		cutoverapi.OpListAuditRecords:                 strictOp(a.listAuditRecords),
	}
}

// strictOp adapts an operation whose request the model does not check:
// unknown fields are refused rather than ignored.
func strictOp[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if len(body) > 0 {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(req); err != nil {
				return nil, apiErr("SerializationException", "Could not read the request: %v", err)
			}
		}
		return fn(ctx, req)
	}
}

func requireDeploymentArn(arn string) error {
	if arn == "" {
		return invalidParam("serviceDeploymentArn is required.")
	}
	return nil
}

// loadDeployment returns the deployment arn names, or the API's error.
func loadDeployment(tx state.Tx, arn string) (*deploy.Deployment, error) {
	d, err := tx.Deployment(arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errServiceDeploymentNotFound
	}
	return d, err
}

func (a *API) endBakeTime(ctx context.Context, req *cutoverapi.EndServiceDeploymentBakeTimeRequest) (*cutoverapi.EndServiceDeploymentBakeTimeResponse, error) {
	if err := requireDeploymentArn(req.ServiceDeploymentArn); err != nil {
		return nil, err
	}
	err := a.update(ctx, func(tx state.Tx) error {
		d, err := loadDeployment(tx, req.ServiceDeploymentArn)
		if err != nil {
			return err
		}
		already := !d.BakeEnded.IsZero()
		err = d.EndBake(a.now())
		switch {
		case errors.Is(err, deploy.ErrNoBakeTime):
			return invalidParam("The service deployment uses the %s strategy, which has no bake time.", d.Strategy)
		case errors.Is(err, deploy.ErrBakeOver):
			return apiErr("ConflictException", "The bake time of the service deployment is over or will not come: it is %s at %s.", d.Status, d.Stage)
		case err != nil:
			return err
		case already:
			return nil // asking again changes nothing
		}
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
		return a.record(ctx, tx, cutoverapi.AuditRecord{
			Action: cutoverapi.ActionEndBake, ServiceArn: d.ServiceArn, ServiceDeploymentArn: d.Arn, Detail: "at " + string(d.Stage),
		})
	})
	if err != nil {
		return nil, err
	}
	return &cutoverapi.EndServiceDeploymentBakeTimeResponse{ServiceDeploymentArn: req.ServiceDeploymentArn}, nil
}

func (a *API) describeDeploymentDetails(ctx context.Context, req *cutoverapi.DescribeServiceDeploymentDetailsRequest) (*cutoverapi.DescribeServiceDeploymentDetailsResponse, error) {
	if err := requireDeploymentArn(req.ServiceDeploymentArn); err != nil {
		return nil, err
	}
	var out cutoverapi.DeploymentDetails
	var targets map[string][]state.TaskTarget // by task ARN
	err := a.view(ctx, func(tx state.Tx) error {
		d, err := loadDeployment(tx, req.ServiceDeploymentArn)
		if err != nil {
			return err
		}
		arn, err := state.ParseARN(d.ServiceArn)
		if err != nil || len(arn.Parts) != 2 {
			return fmt.Errorf("deployment %s: service ARN %q: %w", d.Arn, d.ServiceArn, err)
		}
		cluster, service := arn.Parts[0], arn.Parts[1]
		out = detailsOf(d, cluster, service)
		if err := a.detailRevisions(tx, d, &out); err != nil {
			return err
		}
		if err := a.detailListeners(tx, cluster, service, &out); err != nil {
			return err
		}
		if out.Tasks, targets, err = detailTasks(tx, d, cluster, service); err != nil {
			return err
		}
		out.Audit = []cutoverapi.AuditRecord{}
		return tx.AuditRecords(cluster, service, 0, func(r *cutoverapi.AuditRecord) error {
			if r.ServiceDeploymentArn == d.Arn {
				out.Audit = append(out.Audit, *r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	a.detailTargetHealth(ctx, targets, out.Tasks)
	return &cutoverapi.DescribeServiceDeploymentDetailsResponse{Details: out}, nil
}

// detailsOf renders what the deployment record alone says.
func detailsOf(d *deploy.Deployment, cluster, service string) cutoverapi.DeploymentDetails {
	out := cutoverapi.DeploymentDetails{
		ServiceDeployment: renderDeployment(d), ClusterName: cluster, ServiceName: service,
		Stages: []cutoverapi.StageRun{}, Hooks: []cutoverapi.Hook{},
	}
	for i, s := range d.Stages {
		run := cutoverapi.StageRun{Stage: s.Stage, Step: s.Step, Rollback: s.Rollback, StartedAt: s.StartedAt}
		if i+1 < len(d.Stages) {
			run.EndedAt = &d.Stages[i+1].StartedAt
		} else if end := d.EndedAt(); !end.IsZero() {
			run.EndedAt = &end
		}
		out.Stages = append(out.Stages, run)
	}
	if !d.BakeEnded.IsZero() {
		out.BakeEndedAt = &d.BakeEnded
	}
	if d.Ongoing() && d.Stage == ecs.ServiceDeploymentLifecycleStageBakeTime && d.BakeEnded.IsZero() && d.Rollback == nil {
		end := d.StageStarted.Add(time.Duration(ecs.Int32Value(d.Config.BakeTimeInMinutes)) * time.Minute)
		out.BakeEndsAt = &end
	}
	current := map[string]bool{}
	for _, h := range d.StageHooks() {
		current[h.ID] = true
	}
	for _, h := range d.Hooks {
		hook := cutoverapi.Hook{
			HookID: h.ID, Stage: h.Stage, Step: h.Step, Rollback: h.Round > 0, TargetType: h.TargetType, TargetArn: h.TargetArn,
			Status: h.Status, StartedAt: h.StartedAt, ExpiresAt: h.ExpiresAt, TimeoutAction: h.TimeoutAction,
			Attempts: h.Attempts, LastReply: h.LastReply, Reason: h.Reason, Current: current[h.ID] && d.Ongoing(),
		}
		if !h.NextInvokeAt.IsZero() {
			hook.NextInvokeAt = &h.NextInvokeAt
		}
		out.Hooks = append(out.Hooks, hook)
	}
	return out
}

// detailRevisions adds the deployment's revisions.
func (a *API) detailRevisions(tx state.Tx, d *deploy.Deployment, out *cutoverapi.DeploymentDetails) error {
	add := func(rc deploy.RevisionCounts, role string) error {
		r := cutoverapi.Revision{
			Arn: rc.Arn, Role: role, Requested: rc.Requested, Running: rc.Running, Pending: rc.Pending,
			TestWeight: rc.TestWeight, ProductionWeight: rc.ProductionWeight,
		}
		rev, err := tx.Revision(rc.Arn)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if rev != nil {
			r.TaskDefinition, r.TargetGroupArn = rev.TaskDefinition, rev.TargetGroup()
		}
		out.Revisions = append(out.Revisions, r)
		return nil
	}
	if err := add(d.Target, "target"); err != nil {
		return err
	}
	for _, s := range d.Sources {
		if s.Arn == d.Target.Arn {
			continue
		}
		if err := add(s, "source"); err != nil {
			return err
		}
	}
	return nil
}

// detailListeners adds the addresses of the service's listeners.
func (a *API) detailListeners(tx state.Tx, cluster, service string, out *cutoverapi.DeploymentDetails) error {
	svc, err := tx.Service(cluster, service)
	if err != nil || len(svc.LoadBalancers) == 0 || svc.LoadBalancers[0].AdvancedConfiguration == nil {
		return err
	}
	adv := svc.LoadBalancers[0].AdvancedConfiguration
	for _, l := range []struct {
		rule string
		url  *string
	}{{adv.ProductionListenerRule, &out.ProductionURL}, {adv.TestListenerRule, &out.TestURL}} {
		if l.rule == "" {
			continue
		}
		u, err := tx.ListenerURL(l.rule, a.lbHost)
		if errors.Is(err, store.ErrNotFound) {
			continue // the listener was deleted since
		}
		if err != nil {
			return err
		}
		*l.url = u
	}
	return nil
}

// detailTasks returns the service's tasks that matter to the deployment:
// those not stopped, and those of its revisions stopped since it began,
// with the load balancer targets each is registered as.
func detailTasks(tx state.Tx, d *deploy.Deployment, cluster, service string) ([]cutoverapi.Task, map[string][]state.TaskTarget, error) {
	revs := map[string]bool{d.Target.Arn: true}
	for _, s := range d.Sources {
		revs[s.Arn] = true
	}
	out, targets := []cutoverapi.Task{}, map[string][]state.TaskTarget{}
	err := tx.ServiceTasks(cluster, service, func(t *state.Task) error {
		stopped := t.LastStatus == state.TaskStopped
		if stopped && (!revs[t.Revision] || ecs.TimeValue(t.StoppedAt).Before(d.CreatedAt)) {
			return nil
		}
		out = append(out, cutoverapi.Task{
			TaskArn: t.TaskArn, RevisionArn: t.Revision, LastStatus: t.LastStatus, DesiredStatus: t.DesiredStatus,
			HealthStatus: t.HealthStatus, StartedAt: timePtr(t.StartedAt), StoppedAt: timePtr(t.StoppedAt), StoppedReason: t.StoppedReason,
		})
		targets[t.TaskArn] = t.Targets
		return nil
	})
	return out, targets, err
}

// detailTargetHealth fills in the load balancer's view of each task. It
// is best effort: without a data plane the tasks show no target health.
func (a *API) detailTargetHealth(ctx context.Context, targets map[string][]state.TaskTarget, tasks []cutoverapi.Task) {
	if a.health == nil || len(tasks) == 0 {
		return
	}
	th, err := a.health(ctx)
	if err != nil {
		a.log.Debug("no target health for deployment details", "err", err)
		return
	}
	type key struct {
		group, host string
		port        int
	}
	states := make(map[key]string, len(th))
	for _, h := range th {
		states[key{h.TargetGroupARN, h.Target.Host, h.Target.Port}] = h.State
	}
	for i := range tasks {
		for _, t := range targets[tasks[i].TaskArn] {
			if st, ok := states[key{t.Group, t.Host, t.Port}]; ok {
				tasks[i].TargetHealth = st
				break
			}
		}
	}
}

func timePtr(t *ecs.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ecs.TimeValue(t)
	return &v
}

func (a *API) listAuditRecords(ctx context.Context, req *cutoverapi.ListAuditRecordsRequest) (*cutoverapi.ListAuditRecordsResponse, error) {
	if req.Service == "" {
		return nil, invalidParam("service is required.")
	}
	limit := req.MaxResults
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 1000 {
		return nil, invalidParam("maxResults must be between 1 and 1000.")
	}
	var after uint64
	if req.NextToken != "" {
		n, err := strconv.ParseUint(req.NextToken, 10, 64)
		if err != nil {
			return nil, invalidParam("Invalid nextToken.")
		}
		after = n
	}
	out := &cutoverapi.ListAuditRecordsResponse{AuditRecords: []cutoverapi.AuditRecord{}}
	err := a.view(ctx, func(tx state.Tx) error {
		svc, err := clusterService(tx, req.Cluster, req.Service)
		if err != nil {
			return err
		}
		cluster := state.LastPart(svc.ClusterArn)
		return tx.AuditRecords(cluster, svc.ServiceName, after, func(r *cutoverapi.AuditRecord) error {
			if req.ServiceDeploymentArn != "" && r.ServiceDeploymentArn != req.ServiceDeploymentArn {
				return nil
			}
			if len(out.AuditRecords) == limit {
				out.NextToken = strconv.FormatUint(out.AuditRecords[limit-1].Seq, 10)
				return store.ErrStop
			}
			out.AuditRecords = append(out.AuditRecords, *r)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
