package ecsapi

import (
	"context"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Limits of the task operations.
const (
	defaultTaskPage = 100
	maxTaskPage     = 100
	maxDescribe     = 100
	maxStopReason   = 255
)

// defaultStopReason is the stoppedReason of a task stopped without one.
const defaultStopReason = "Task stopped by user"

var errTaskNotFound = invalidParam("The referenced task was not found.")

// findTask returns the task of cluster that ref names by ID or ARN, or
// nil when there is none. An ARN naming another cluster, region or
// account names no task of cluster.
func (a *API) findTask(tx state.Tx, cluster, ref string) (*state.Task, error) {
	id := ref
	if state.IsARN(ref) {
		p, err := state.ParseARN(ref)
		if err != nil || p.Type != "task" || !a.ownARN(ref) {
			return nil, nil
		}
		switch len(p.Parts) {
		case 1:
			id = p.Parts[0]
		case 2:
			if p.Parts[0] != cluster {
				return nil, nil
			}
			id = p.Parts[1]
		default:
			return nil, nil
		}
	}
	t, err := tx.Task(cluster, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

// renderTask is a task as DescribeTasks shows it; its tags only when
// asked for.
func renderTask(tx state.Tx, t *state.Task, withTags bool) (ecs.Task, error) {
	out := t.Task
	out.Tags = nil
	if withTags {
		var err error
		if out.Tags, err = tx.Tags(t.TaskArn); err != nil {
			return ecs.Task{}, err
		}
	}
	return out, nil
}

// listTasks lists a cluster's tasks in ID order. The filters combine:
// tasks must match all that are given. desiredStatus RUNNING (the
// default) lists tasks meant to run, STOPPED those being or already
// stopped; PENDING, as in ECS, lists none. cutover has no container
// instances or daemons, so filtering on them lists none.
func (a *API) listTasks(ctx context.Context, req *ecs.ListTasksRequest) (*ecs.ListTasksResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, defaultTaskPage, maxTaskPage)
	if err != nil {
		return nil, err
	}
	desired := string(req.DesiredStatus)
	if desired == "" {
		desired = state.TaskRunning
	}
	none := desired == string(ecs.DesiredStatusPending) || req.ContainerInstance != "" || req.DaemonName != ""
	service := state.LastPart(req.ServiceName)
	out := &ecs.ListTasksResponse{TaskArns: []string{}}
	err = a.view(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		if req.ServiceName != "" {
			if _, err := tx.Service(c.ClusterName, service); errors.Is(err, store.ErrNotFound) {
				return errServiceNotFound
			} else if err != nil {
				return err
			}
		}
		if none {
			return nil
		}
		// A service's tasks come from its index, in the same ID order.
		tasks := func(fn func(*state.Task) error) error { return tx.Tasks(c.ClusterName, after, fn) }
		if req.ServiceName != "" {
			tasks = func(fn func(*state.Task) error) error {
				return tx.ServiceTasks(c.ClusterName, service, func(t *state.Task) error {
					if t.ID <= after {
						return nil
					}
					return fn(t)
				})
			}
		}
		return tasks(func(t *state.Task) error {
			switch {
			case t.DesiredStatus != desired,
				req.ServiceName != "" && t.ServiceName != service,
				req.StartedBy != "" && t.StartedBy != req.StartedBy,
				req.LaunchType != "" && t.LaunchType != req.LaunchType,
				req.Family != "" && taskFamily(t) != req.Family:
				return nil
			}
			if !pg.add(t.ID) {
				return store.ErrStop
			}
			out.TaskArns = append(out.TaskArns, t.TaskArn)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out.NextToken = pg.token()
	return out, nil
}

// taskFamily is the task definition family a task runs.
func taskFamily(t *state.Task) string {
	family, _, err := state.ParseTaskDefinitionRef(t.TaskDefinitionArn)
	if err != nil {
		return ""
	}
	return family
}

// describeTasks describes up to 100 tasks; unknown ones are failures
// with reason MISSING and the task's ARN.
func (a *API) describeTasks(ctx context.Context, req *ecs.DescribeTasksRequest) (*ecs.DescribeTasksResponse, error) {
	if len(req.Tasks) == 0 {
		return nil, invalidParam("Tasks cannot be empty.")
	}
	if len(req.Tasks) > maxDescribe {
		return nil, invalidParam("tasks can have at most %d items.", maxDescribe)
	}
	withTags := slices.Contains(req.Include, ecs.TaskFieldTags)
	out := &ecs.DescribeTasksResponse{Tasks: []ecs.Task{}, Failures: []ecs.Failure{}}
	err := a.view(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		for _, ref := range req.Tasks {
			t, err := a.findTask(tx, c.ClusterName, ref)
			if err != nil {
				return err
			}
			if t == nil {
				arn := ref
				if !state.IsARN(ref) {
					arn = a.arns.Task(c.ClusterName, ref)
				}
				out.Failures = append(out.Failures, ecs.Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			rt, err := renderTask(tx, t, withTags)
			if err != nil {
				return err
			}
			out.Tasks = append(out.Tasks, rt)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// stopTask asks for a task to stop (stop code UserInitiated); the
// controller stops it. Stopping a task that is already on its way down
// changes nothing and answers with the task.
func (a *API) stopTask(ctx context.Context, req *ecs.StopTaskRequest) (*ecs.StopTaskResponse, error) {
	reason := req.Reason
	if reason == "" {
		reason = defaultStopReason
	}
	if utf8.RuneCountInString(reason) > maxStopReason {
		return nil, invalidParam("reason can have at most %d characters.", maxStopReason)
	}
	var out ecs.Task
	err := a.update(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		t, err := a.findTask(tx, c.ClusterName, req.Task)
		if err != nil {
			return err
		}
		if t == nil {
			return errTaskNotFound
		}
		if t.RequestStop(ecs.TaskStopCodeUserInitiated, reason, a.now()) {
			if err := tx.PutTask(t); err != nil {
				return err
			}
		}
		out, err = renderTask(tx, t, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.StopTaskResponse{Task: &out}, nil
}
