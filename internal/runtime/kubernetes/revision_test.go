package kubernetes_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
)

const (
	testCluster  = "arn:aws:ecs:us-east-1:000000000000:cluster/default"
	testRevision = "arn:aws:ecs:us-east-1:000000000000:service-revision/default/web/"
)

// serviceTask is a task of service web's revision rev, as the controller
// labels it.
func serviceTask(t *testing.T, id, rev string) runtime.TaskSpec {
	labels := map[string]string{
		runtime.LabelCluster: testCluster,
		runtime.LabelTaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/" + id,
	}
	if rev != "" {
		labels[runtime.LabelService] = "web"
		labels[runtime.LabelServiceRevision] = testRevision + rev
	}
	return runtime.TaskSpec{ID: id, Labels: labels, Containers: []runtime.ContainerSpec{app(t).Container("main", nil, "sleep")}}
}

// revisionDriver is newTestDriver whose revision objects are deleted
// when the test ends, whatever it left.
func revisionDriver(t *testing.T) (*kubernetes.Driver, k8s.Interface) {
	d := newTestDriver(t)
	cs := kubetest.Client(t)
	t.Cleanup(func() {
		_ = cs.AppsV1().ControllerRevisions("default").DeleteCollection(context.Background(), metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: kubernetes.LabelInstance + "=" + d.Instance()})
	})
	return d, cs
}

// pods lists the pods of the driver's instance selected by sel.
func pods(t *testing.T, cs k8s.Interface, d *kubernetes.Driver, sel string) []corev1.Pod {
	t.Helper()
	l, err := cs.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: kubernetes.LabelInstance + "=" + d.Instance() + "," + sel})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// revisions lists the revision objects of the driver's instance.
func revisions(t *testing.T, cs k8s.Interface, d *kubernetes.Driver) map[int64]appsv1.ControllerRevision {
	t.Helper()
	l, err := cs.AppsV1().ControllerRevisions("default").List(context.Background(), metav1.ListOptions{LabelSelector: kubernetes.LabelInstance + "=" + d.Instance() + "," + kubernetes.LabelService + "=web"})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]appsv1.ControllerRevision)
	for _, r := range l.Items {
		out[r.Revision] = r
	}
	return out
}

// stopRemove stops the task, waits until it has stopped, and removes it.
func stopRemove(t *testing.T, d *kubernetes.Driver, id string) {
	t.Helper()
	if err := d.Stop(context.Background(), id); err != nil {
		t.Fatalf("Stop %s: %v", id, err)
	}
	waitFor(t, d, id, runtime.StateStopped)
	if err := d.Remove(context.Background(), id); err != nil {
		t.Fatalf("Remove %s: %v", id, err)
	}
}

// TestRevisionObjects: a service's pods are labelled with its cluster,
// service and revision and owned by their revision's ControllerRevision,
// which holds the revision's template and number and goes with the
// revision's last pod; a task without a revision has no owner; deleting
// a revision object makes its pods go (the garbage collector deletes
// them, the task stops).
func TestRevisionObjects(t *testing.T) {
	d, cs := revisionDriver(t)
	ctx := context.Background()
	for _, spec := range []runtime.TaskSpec{
		serviceTask(t, "a1", "1"), serviceTask(t, "a2", "1"), serviceTask(t, "b1", "2"), serviceTask(t, "run", ""),
	} {
		if _, err := d.Start(ctx, spec); err != nil {
			t.Fatalf("Start %s: %v", spec.ID, err)
		}
	}
	if got := pods(t, cs, d, "cutover.io/cluster=default,cutover.io/service=web"); len(got) != 3 {
		t.Fatalf("pods of service web: %d, want 3", len(got))
	}
	revs := revisions(t, cs, d)
	if len(revs) != 2 {
		t.Fatalf("revision objects: %+v, want revisions 1 and 2", revs)
	}
	for n, ids := range map[int64][]string{1: {"a1", "a2"}, 2: {"b1"}} {
		r := revs[n]
		var tmpl runtime.TaskSpec
		if err := json.Unmarshal(r.Data.Raw, &tmpl); err != nil {
			t.Fatalf("revision %d data: %v", n, err)
		}
		if tmpl.ID != "" || tmpl.Labels[runtime.LabelTaskArn] != "" || tmpl.Labels[runtime.LabelServiceRevision] == "" || len(tmpl.Containers) != 1 {
			t.Errorf("revision %d template: %+v, want the spec without the task's ID and ARN", n, tmpl)
		}
		if r.Labels[kubernetes.LabelCluster] != "default" || r.Labels[kubernetes.LabelRevision] == "" {
			t.Errorf("revision %d labels: %v", n, r.Labels)
		}
		got := pods(t, cs, d, "cutover.io/service=web,cutover.io/revision="+r.Labels[kubernetes.LabelRevision])
		if len(got) != len(ids) {
			t.Fatalf("pods of revision %d: %d, want %d", n, len(got), len(ids))
		}
		for _, p := range got {
			o := p.OwnerReferences
			if len(o) != 1 || o[0].Kind != "ControllerRevision" || o[0].APIVersion != "apps/v1" || o[0].Name != r.Name || o[0].UID != r.UID ||
				o[0].Controller == nil || *o[0].Controller || o[0].BlockOwnerDeletion == nil || *o[0].BlockOwnerDeletion {
				t.Errorf("pod %s of revision %d: owners %+v, want revision object %s", p.Name, n, o, r.Name)
			}
		}
	}
	if got := pods(t, cs, d, "cutover.io/task=run"); len(got) != 1 || len(got[0].OwnerReferences) != 0 || got[0].Labels[kubernetes.LabelRevision] != "" {
		t.Errorf("task without a revision: %+v, want one pod without owner or revision label", got)
	}

	// Revision 1 lives until its last pod is removed, though the pod
	// removed before lingers while the kubelet finishes with it.
	for _, id := range []string{"a1", "a2"} {
		if err := d.Stop(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, d, "a1", runtime.StateStopped)
	waitFor(t, d, "a2", runtime.StateStopped)
	if err := d.Remove(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := revisions(t, cs, d)[1]; !ok {
		t.Fatal("revision 1's object went with its first pod, not its last")
	}
	if err := d.Remove(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	revs = revisions(t, cs, d)
	if _, ok := revs[1]; ok {
		t.Error("revision 1's object outlived its last pod")
	}
	if _, ok := revs[2]; !ok {
		t.Fatal("revision 2's object went with revision 1's pods")
	}

	// Deleting revision 2's object deletes its pod: the task stops.
	if err := cs.AppsV1().ControllerRevisions("default").Delete(ctx, revs[2].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, "b1", runtime.StateStopped)
	if err := d.Remove(ctx, "b1"); err != nil {
		t.Fatal(err)
	}
	// Removed, a pod is deleted once the kubelet is done with it.
	deadline := time.Now().Add(30 * time.Second)
	for len(pods(t, cs, d, "cutover.io/service=web")) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("pods of web left after Remove")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRevisionRace: a task of a revision started while the revision's
// last pod is removed keeps a live owner: the removal never deletes the
// object a new pod names (the garbage collector would delete the pod).
func TestRevisionRace(t *testing.T) {
	d, cs := revisionDriver(t)
	ctx := context.Background()
	prev := "t0"
	if _, err := d.Start(ctx, serviceTask(t, prev, "7")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		if err := d.Stop(ctx, prev); err != nil {
			t.Fatal(err)
		}
		waitFor(t, d, prev, runtime.StateStopped)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := d.Remove(ctx, prev); err != nil {
				t.Errorf("Remove %s: %v", prev, err)
			}
		})
		if _, err := d.Start(ctx, serviceTask(t, id, "7")); err != nil {
			t.Fatalf("Start %s: %v", id, err)
		}
		wg.Wait()
		got := pods(t, cs, d, "cutover.io/task="+id)
		if len(got) != 1 || len(got[0].OwnerReferences) != 1 {
			t.Fatalf("pod of %s: %+v", id, got)
		}
		owner := got[0].OwnerReferences[0]
		r, err := cs.AppsV1().ControllerRevisions("default").Get(ctx, owner.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || err == nil && r.UID != owner.UID {
			t.Fatalf("after %s started as %s was removed: its owner %s (%s) is gone", id, prev, owner.Name, owner.UID)
		}
		if err != nil {
			t.Fatal(err)
		}
		prev = id
	}
	// The garbage collector left the last task's pod.
	time.Sleep(2 * time.Second)
	if got := pods(t, cs, d, "cutover.io/task="+prev); len(got) != 1 || got[0].DeletionTimestamp != nil {
		t.Fatalf("pod of %s: %+v, want it running", prev, got)
	}
	stopRemove(t, d, prev)
	if revs := revisions(t, cs, d); len(revs) != 0 {
		t.Errorf("revision objects left: %+v", revs)
	}
}

// TestRevisionSweep: a restarted driver deletes the revision objects of
// its instance that no pod names (left by a control plane stopped
// between releasing a revision's last pod and deleting its object), and
// keeps those that own pods.
func TestRevisionSweep(t *testing.T) {
	old, cs := revisionDriver(t)
	ctx := context.Background()
	if _, err := old.Start(ctx, serviceTask(t, "kept", "5")); err != nil {
		t.Fatal(err)
	}
	kept := revisions(t, cs, old)[5]
	stray := kept.DeepCopy()
	stray.ObjectMeta = metav1.ObjectMeta{Name: "r-web-6-stray", Labels: map[string]string{
		kubernetes.LabelInstance: old.Instance(), kubernetes.LabelCluster: "default", kubernetes.LabelService: "web", kubernetes.LabelRevision: "6"}}
	stray.Revision = 6
	if _, err := cs.AppsV1().ControllerRevisions("default").Create(ctx, stray, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = old.Close()

	// The stray is new: a driver leaves it, in case another server's
	// is about to give it its first pod; once old enough, it goes.
	young, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubetest.Cluster(t), Instance: old.Instance(), PullPolicy: corev1.PullNever})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := young.List(ctx); err != nil { // the informer has synced
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the sweep runs just after the informer synced
	if _, ok := revisions(t, cs, young)[6]; !ok {
		t.Fatal("a revision object less than a minute old was swept")
	}
	_ = young.Close()
	defer kubernetes.SetSweepAge(0)()

	d, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubetest.Cluster(t), Instance: old.Instance(), PullPolicy: corev1.PullNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		revs := revisions(t, cs, d)
		if _, ok := revs[6]; !ok {
			if r, ok := revs[5]; !ok || r.UID != kept.UID {
				t.Fatalf("revision objects %+v: the one owning a pod was deleted", revs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unused revision object was left")
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopRemove(t, d, "kept")
	if revs := revisions(t, cs, d); len(revs) != 0 {
		t.Errorf("revision objects left: %+v", revs)
	}
}
