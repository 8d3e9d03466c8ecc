package ecsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// call sends req to operation op and decodes a 200 answer into Resp.
func call[Resp any](t *testing.T, h http.Handler, op string, req any) *Resp {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	status, body := serve(h, op, b)
	if status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", op, b, status, body)
	}
	out := new(Resp)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s: decode %s: %v", op, body, err)
	}
	return out
}

// callErr sends req to operation op, expects an error and returns its
// status and __type.
func callErr(t *testing.T, h http.Handler, op string, req any) (int, string) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	status, body := serve(h, op, b)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Type == "" || e.Message == "" {
		t.Fatalf("%s %s: status %d, not an error: %s", op, b, status, body)
	}
	return status, e.Type
}

// taskFixture is a task put straight into the store.
type taskFixture struct {
	id, cluster, service, family, startedBy string
	desired, last                           string
	launch                                  ecs.LaunchType
}

// seedTasks stores clusters "default" and "other", a service "web" of
// the default cluster with its revision, and the given tasks (those of
// a service run its revision).
func seedTasks(t testing.TB, st store.Store, tasks []taskFixture) {
	t.Helper()
	err := st.Update(context.Background(), func(stx store.Tx) error {
		tx := state.Tx{Tx: stx}
		for _, name := range []string{"default", "other"} {
			c := &state.Cluster{Cluster: ecs.Cluster{ClusterArn: testARNs.Cluster(name), ClusterName: name, Status: clusterActive}}
			if err := tx.PutCluster(c); err != nil {
				return err
			}
		}
		rev := &state.Revision{
			ServiceRevision: ecs.ServiceRevision{
				ServiceRevisionArn: testARNs.ServiceRevision("default", "web", 1),
				ServiceArn:         testARNs.Service("default", "web"),
				ClusterArn:         testARNs.Cluster("default"),
				TaskDefinition:     testARNs.TaskDefinition("web", 1),
				CreatedAt:          ecs.TimeOf(testNow.Add(-time.Hour)),
			},
			Number:   1,
			LegacyID: "ecs-svc/1",
		}
		if err := tx.PutRevision(rev); err != nil {
			return err
		}
		svc := &state.Service{
			Service: ecs.Service{
				ServiceArn:   testARNs.Service("default", "web"),
				ServiceName:  "web",
				ClusterArn:   testARNs.Cluster("default"),
				Status:       state.ServiceActive,
				DesiredCount: ecs.Int32(2),
			},
			Revision: rev.ServiceRevisionArn,
		}
		if err := tx.PutService(svc); err != nil {
			return err
		}
		for _, f := range tasks {
			tk := &state.Task{ID: f.id, ServiceName: f.service}
			tk.Task = ecs.Task{
				TaskArn:           testARNs.Task(f.cluster, f.id),
				ClusterArn:        testARNs.Cluster(f.cluster),
				TaskDefinitionArn: testARNs.TaskDefinition(f.family, 1),
				StartedBy:         f.startedBy,
				DesiredStatus:     f.desired,
				LastStatus:        f.last,
				LaunchType:        f.launch,
				CreatedAt:         ecs.TimeOf(testNow.Add(-time.Hour)),
				Version:           ecs.Int64(1),
				Tags:              []ecs.Tag{{Key: "stale", Value: "record"}},
			}
			if f.service != "" {
				tk.Group, tk.Revision = "service:"+f.service, rev.ServiceRevisionArn
			}
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return tx.PutTags(testARNs.Task("default", "t1"), []ecs.Tag{{Key: "k", Value: "v"}})
	})
	if err != nil {
		t.Fatal(err)
	}
}

var taskFixtures = []taskFixture{
	{id: "t1", cluster: "default", service: "web", family: "web", startedBy: "ecs-svc/1", desired: state.TaskRunning, last: state.TaskRunning, launch: ecs.LaunchTypeFargate},
	{id: "t2", cluster: "default", service: "web", family: "web", startedBy: "ecs-svc/2", desired: state.TaskRunning, last: state.TaskPending, launch: ecs.LaunchTypeFargate},
	{id: "t3", cluster: "default", service: "web", family: "web", startedBy: "ecs-svc/1", desired: state.TaskStopped, last: state.TaskStopped, launch: ecs.LaunchTypeFargate},
	{id: "t4", cluster: "default", family: "batch", startedBy: "me", desired: state.TaskRunning, last: state.TaskRunning, launch: ecs.LaunchTypeEc2},
	{id: "t5", cluster: "default", family: "batch", desired: state.TaskStopped, last: state.TaskStopping, launch: ecs.LaunchTypeEc2},
	{id: "t6", cluster: "other", family: "web", desired: state.TaskRunning, last: state.TaskRunning, launch: ecs.LaunchTypeFargate},
}

// ids turns task ARNs into their IDs.
func ids(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = state.LastPart(a)
	}
	return out
}

func TestListTasks(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	tests := []struct {
		name string
		req  ecs.ListTasksRequest
		want []string
	}{
		{"default: desired RUNNING", ecs.ListTasksRequest{}, []string{"t1", "t2", "t4"}},
		{"cluster by ARN", ecs.ListTasksRequest{Cluster: testARNs.Cluster("other")}, []string{"t6"}},
		{"stopped", ecs.ListTasksRequest{DesiredStatus: ecs.DesiredStatusStopped}, []string{"t3", "t5"}},
		{"pending lists none", ecs.ListTasksRequest{DesiredStatus: ecs.DesiredStatusPending}, nil},
		{"service", ecs.ListTasksRequest{ServiceName: "web"}, []string{"t1", "t2"}},
		{"service by ARN, stopped", ecs.ListTasksRequest{ServiceName: testARNs.Service("default", "web"), DesiredStatus: ecs.DesiredStatusStopped}, []string{"t3"}},
		{"family", ecs.ListTasksRequest{Family: "batch"}, []string{"t4"}},
		{"startedBy", ecs.ListTasksRequest{StartedBy: "ecs-svc/1"}, []string{"t1"}},
		{"launchType", ecs.ListTasksRequest{LaunchType: ecs.LaunchTypeEc2}, []string{"t4"}},
		{"filters combine", ecs.ListTasksRequest{Family: "web", LaunchType: ecs.LaunchTypeEc2}, nil},
		{"container instance lists none", ecs.ListTasksRequest{ContainerInstance: "ci"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := call[ecs.ListTasksResponse](t, api, "ListTasks", tt.req)
			if got := ids(out.TaskArns); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if out.NextToken != "" {
				t.Errorf("unexpected nextToken %q", out.NextToken)
			}
		})
	}
}

func TestListTasksPaging(t *testing.T) {
	api, st := newTestAPI(t)
	var fx []taskFixture
	for i := range 7 {
		fx = append(fx, taskFixture{id: fmt.Sprintf("p%02d", i), cluster: "default", family: "web", desired: state.TaskRunning, last: state.TaskRunning})
	}
	seedTasks(t, st, fx)
	var got []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("too many pages")
		}
		out := call[ecs.ListTasksResponse](t, api, "ListTasks", ecs.ListTasksRequest{MaxResults: ecs.Int32(3), NextToken: token})
		if len(out.TaskArns) > 3 {
			t.Fatalf("page of %d", len(out.TaskArns))
		}
		got = append(got, ids(out.TaskArns)...)
		if token = out.NextToken; token == "" {
			break
		}
	}
	want := []string{"p00", "p01", "p02", "p03", "p04", "p05", "p06"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestListTasksErrors(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	tests := []struct {
		name string
		req  ecs.ListTasksRequest
		typ  string
	}{
		{"missing cluster", ecs.ListTasksRequest{Cluster: "nope"}, "ClusterNotFoundException"},
		{"service of another cluster", ecs.ListTasksRequest{Cluster: "other", ServiceName: "web"}, "ServiceNotFoundException"},
		{"missing service", ecs.ListTasksRequest{ServiceName: "nope"}, "ServiceNotFoundException"},
		{"bad token", ecs.ListTasksRequest{NextToken: "%%"}, "InvalidParameterException"},
		{"maxResults too big", ecs.ListTasksRequest{MaxResults: ecs.Int32(101)}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := callErr(t, api, "ListTasks", tt.req)
			if status != http.StatusBadRequest || typ != tt.typ {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.typ)
			}
		})
	}
}

func TestDescribeTasks(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	out := call[ecs.DescribeTasksResponse](t, api, "DescribeTasks", ecs.DescribeTasksRequest{
		Tasks: []string{"t1", testARNs.Task("default", "t3"), "nope", testARNs.Task("other", "t6"), "t6"},
	})
	if got := ids(taskArns(out.Tasks)); !slices.Equal(got, []string{"t1", "t3"}) {
		t.Errorf("tasks %v, want [t1 t3]", got)
	}
	wantFailures := []ecs.Failure{
		{Arn: testARNs.Task("default", "nope"), Reason: "MISSING"},
		{Arn: testARNs.Task("other", "t6"), Reason: "MISSING"},
		{Arn: testARNs.Task("default", "t6"), Reason: "MISSING"},
	}
	if !slices.Equal(out.Failures, wantFailures) {
		t.Errorf("failures %+v, want %+v", out.Failures, wantFailures)
	}
	for _, tk := range out.Tasks {
		if tk.Tags != nil {
			t.Errorf("task %s has tags %v without include TAGS", tk.TaskArn, tk.Tags)
		}
	}
	t1 := out.Tasks[0]
	if t1.LastStatus != state.TaskRunning || t1.DesiredStatus != state.TaskRunning || t1.Group != "service:web" || ecs.Int64Value(t1.Version) != 1 {
		t.Errorf("t1 rendered as %+v", t1)
	}

	out = call[ecs.DescribeTasksResponse](t, api, "DescribeTasks", ecs.DescribeTasksRequest{
		Cluster: "other", Tasks: []string{"t6"}, Include: []ecs.TaskField{ecs.TaskFieldTags},
	})
	if len(out.Tasks) != 1 || len(out.Failures) != 0 || out.Tasks[0].Tags != nil {
		t.Errorf("t6 with tags: %+v", out)
	}
	out = call[ecs.DescribeTasksResponse](t, api, "DescribeTasks", ecs.DescribeTasksRequest{
		Tasks: []string{"t1"}, Include: []ecs.TaskField{ecs.TaskFieldTags},
	})
	if len(out.Tasks) != 1 || !slices.Equal(out.Tasks[0].Tags, []ecs.Tag{{Key: "k", Value: "v"}}) {
		t.Errorf("t1 with tags: %+v", out)
	}
}

func taskArns(tasks []ecs.Task) []string {
	out := make([]string, len(tasks))
	for i, tk := range tasks {
		out[i] = tk.TaskArn
	}
	return out
}

func TestDescribeTasksErrors(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	tests := []struct {
		name string
		req  any
		typ  string
	}{
		{"no tasks", ecs.DescribeTasksRequest{Tasks: []string{}}, "InvalidParameterException"},
		{"tasks missing", map[string]any{}, "InvalidParameterException"},
		{"too many", ecs.DescribeTasksRequest{Tasks: many}, "InvalidParameterException"},
		{"missing cluster", ecs.DescribeTasksRequest{Cluster: "nope", Tasks: []string{"t1"}}, "ClusterNotFoundException"},
		{"bad include", map[string]any{"tasks": []string{"t1"}, "include": []string{"NOPE"}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := callErr(t, api, "DescribeTasks", tt.req)
			if status != http.StatusBadRequest || typ != tt.typ {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.typ)
			}
		})
	}
}

func TestStopTask(t *testing.T) {
	api, st := newTestAPI(t)
	var changed atomic.Int32
	api.changed = func() { changed.Add(1) }
	seedTasks(t, st, taskFixtures)

	out := call[ecs.StopTaskResponse](t, api, "StopTask", ecs.StopTaskRequest{Task: "t1"})
	tk := out.Task
	if tk.DesiredStatus != state.TaskStopped || tk.LastStatus != state.TaskDeactivating ||
		tk.StopCode != ecs.TaskStopCodeUserInitiated || tk.StoppedReason != defaultStopReason ||
		!ecs.TimeValue(tk.StoppingAt).Equal(testNow) || ecs.Int64Value(tk.Version) != 2 || tk.Tags != nil {
		t.Errorf("stopped task %+v", tk)
	}
	if changed.Load() != 1 {
		t.Errorf("controller woken %d times, want 1", changed.Load())
	}

	out = call[ecs.StopTaskResponse](t, api, "StopTask", ecs.StopTaskRequest{Task: testARNs.Task("default", "t2"), Reason: "scaling in"})
	if out.Task.StoppedReason != "scaling in" || out.Task.DesiredStatus != state.TaskStopped {
		t.Errorf("t2 %+v", out.Task)
	}

	// Stopping again changes nothing.
	out = call[ecs.StopTaskResponse](t, api, "StopTask", ecs.StopTaskRequest{Task: "t1", Reason: "again"})
	if out.Task.StoppedReason != defaultStopReason || ecs.Int64Value(out.Task.Version) != 2 {
		t.Errorf("t1 stopped twice: %+v", out.Task)
	}

	// The stop is persisted: ListTasks sees it.
	list := call[ecs.ListTasksResponse](t, api, "ListTasks", ecs.ListTasksRequest{})
	if got := ids(list.TaskArns); !slices.Equal(got, []string{"t4"}) {
		t.Errorf("running after stops: %v", got)
	}
	err := st.View(context.Background(), func(stx store.Tx) error {
		tk, err := state.Tx{Tx: stx}.Task("default", "t2")
		if err == nil && (tk.DesiredStatus != state.TaskStopped || tk.StopCode != ecs.TaskStopCodeUserInitiated) {
			t.Errorf("stored t2 %+v", tk)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestStopTaskErrors(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	tests := []struct {
		name string
		req  any
		typ  string
	}{
		{"unknown task", ecs.StopTaskRequest{Task: "nope"}, "InvalidParameterException"},
		{"task of another cluster", ecs.StopTaskRequest{Task: testARNs.Task("other", "t6")}, "InvalidParameterException"},
		{"ARN of another account", ecs.StopTaskRequest{Task: "arn:aws:ecs:us-east-1:111111111111:task/default/t1"}, "InvalidParameterException"},
		{"missing cluster", ecs.StopTaskRequest{Cluster: "nope", Task: "t1"}, "ClusterNotFoundException"},
		{"task missing", map[string]any{}, "InvalidParameterException"},
		{"reason too long", ecs.StopTaskRequest{Task: "t1", Reason: strings.Repeat("x", 256)}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := callErr(t, api, "StopTask", tt.req)
			if status != http.StatusBadRequest || typ != tt.typ {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.typ)
			}
		})
	}
}
