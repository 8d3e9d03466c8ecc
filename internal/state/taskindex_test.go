package state

import (
	"context"
	"slices"
	"testing"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store"
)

// TestServiceTasksIndex walks a store from before the index through
// its backfill: the tasks of each service are found the same way
// throughout, deleted tasks leave the index, and ServiceDigest follows
// every change to what a service's plan reads.
func TestServiceTasksIndex(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	arns := ARNs{Region: "us-east-1", Account: "000000000000"}
	task := func(id, service string) *Task {
		return &Task{ID: id, ServiceName: service, Task: ecs.Task{TaskArn: arns.Task("c", id), ClusterArn: arns.Cluster("c"), LastStatus: TaskRunning}}
	}
	// Records written before the index existed: no entries, no marker.
	err := Update(ctx, st, func(tx Tx) error {
		for _, tk := range []*Task{task("a1", "a"), task("b1", "b"), task("a2", "a"), task("x1", "")} {
			if err := store.PutJSON(tx.Tx, tableTasks, taskKey("c", tk.ID), tk); err != nil {
				return err
			}
		}
		return store.PutJSON(tx.Tx, tableServices, serviceKey("c", "a"), &Service{Service: ecs.Service{ServiceName: "a", ClusterArn: arns.Cluster("c")}})
	})
	if err != nil {
		t.Fatal(err)
	}
	tasksOf := func(service string) (ids []string) {
		t.Helper()
		err := View(ctx, st, func(tx Tx) error {
			return tx.ServiceTasks("c", service, func(tk *Task) error {
				ids = append(ids, tk.ID)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	digest := func() (uint64, bool) {
		t.Helper()
		var d uint64
		var ok bool
		err := View(ctx, st, func(tx Tx) (err error) {
			d, ok, err = tx.ServiceDigest("c", "a", "")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return d, ok
	}
	check := func(when string, want ...string) {
		t.Helper()
		if got := tasksOf("a"); !slices.Equal(got, want) {
			t.Errorf("%s: tasks of a = %v, want %v", when, got, want)
		}
	}

	check("before the index (scan)", "a1", "a2")
	if _, ok := digest(); ok {
		t.Error("ServiceDigest reported a digest before the index exists")
	}
	// A task the API adds meanwhile is indexed at once.
	if err := Update(ctx, st, func(tx Tx) error { return tx.PutTask(task("a3", "a")) }); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the backfill is idempotent
		if err := IndexServiceTasks(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	check("after the backfill", "a1", "a2", "a3")
	if got := tasksOf("b"); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("tasks of b = %v, want [b1]", got)
	}

	d0, ok := digest()
	if !ok {
		t.Fatal("no digest once indexed")
	}
	if d, _ := digest(); d != d0 {
		t.Error("the digest changed with nothing stored")
	}
	steps := []struct {
		name string
		fn   func(tx Tx) error
	}{
		{"a task changes", func(tx Tx) error {
			tk := task("a2", "a")
			tk.LastStatus = TaskStopped
			return tx.PutTask(tk)
		}},
		{"another service's task changes", nil},
		{"the service changes", func(tx Tx) error {
			return tx.PutService(&Service{Service: ecs.Service{ServiceName: "a", ClusterArn: arns.Cluster("c"), DesiredCount: ecs.Int32(3)}})
		}},
		{"a task is deleted", func(tx Tx) error { return tx.DeleteTask("c", "a1") }},
	}
	for _, s := range steps {
		fn, wantSame := s.fn, s.fn == nil
		if fn == nil {
			fn = func(tx Tx) error {
				tk := task("b1", "b")
				tk.LastStatus = TaskStopped
				return tx.PutTask(tk)
			}
		}
		if err := Update(ctx, st, fn); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		d, _ := digest()
		if (d == d0) != wantSame {
			t.Errorf("%s: digest changed %v, want %v", s.name, d != d0, !wantSame)
		}
		d0 = d
	}
	check("after the delete", "a2", "a3")
}
