package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/cutover/cutover/internal/runtime"
)

// The labels that group a service's pods, and its revisions' objects,
// for selection (kubectl get pods -l cutover.io/service=web). Each holds
// a valid label value, or a hash of one that is not.
const (
	// LabelCluster holds the cluster's name (the last part of its ARN).
	LabelCluster = "cutover.io/cluster"
	// LabelService holds the service's name.
	LabelService = "cutover.io/service"
	// LabelRevision holds the service revision's ID (the last part of
	// its ARN).
	LabelRevision = "cutover.io/revision"
)

// A service revision is a ControllerRevision (apps/v1), the kind
// StatefulSets and DaemonSets keep their immutable revisions as: it
// holds the revision's task spec, and each pod of the revision names it
// as an owner, so that deleting it deletes the revision's pods. It is
// created with the revision's first pod and deleted when Remove lets go
// of its last. Not a ReplicaSet: the deployment engine picks which task
// to stop, and a ReplicaSet would pick its own and replace what the
// engine stops.

// lastPart is what follows the last "/" of an ARN: a cluster's name, a
// revision's ID.
func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// groupLabels are the labels that select a task's pod by the spec's
// cluster, service and revision, those of them it has.
func groupLabels(spec runtime.TaskSpec) map[string]string {
	out := make(map[string]string, 3)
	if v := spec.Labels[runtime.LabelCluster]; v != "" {
		out[LabelCluster] = labelValue(lastPart(v))
	}
	if v := spec.Labels[runtime.LabelService]; v != "" {
		out[LabelService] = labelValue(v)
	}
	if v := spec.Labels[runtime.LabelServiceRevision]; v != "" {
		out[LabelRevision] = labelValue(lastPart(v))
	}
	return out
}

// revisionName is the name of a revision's object: DNS-safe, and unique
// per (instance, revision ARN).
func revisionName(instance, arn string) string {
	parts := strings.Split(arn, "/") // …:service-revision/cluster/service/ID
	readable := parts[len(parts)-1]
	if len(parts) > 1 {
		readable = parts[len(parts)-2] + "-" + readable
	}
	return dnsName("r", readable, instance+"\x00"+arn)
}

// createPod creates the task's pod, owned by the object of its revision
// when it has one, and keeps it. The caller holds the task's start lock.
func (d *Driver) createPod(ctx context.Context, spec runtime.TaskSpec, pod *corev1.Pod) (*corev1.Pod, error) {
	newRevision := false
	if arn := spec.Labels[runtime.LabelServiceRevision]; arn != "" {
		l := d.revisionLock(revisionName(d.cfg.Instance, arn))
		l.RLock()
		owner, created, err := d.ensureRevision(ctx, spec, revisionName(d.cfg.Instance, arn))
		if err != nil {
			l.RUnlock()
			return nil, err
		}
		pod.OwnerReferences = []metav1.OwnerReference{owner}
		newRevision = created
		defer func() {
			l.RUnlock()
			if newRevision {
				// The pod that was to own it was not created: no pod
				// may be left to delete the object.
				if err := d.releaseRevision(ctx, pod); err != nil {
					d.log.Warn("delete the revision object of a pod not created", "task", spec.ID, "err", err)
				}
			}
		}()
	}
	pods := d.cs.CoreV1().Pods(d.cfg.Namespace)
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = pods.Get(ctx, pod.Name, metav1.GetOptions{})
	}
	if err != nil {
		if apierrors.IsInvalid(err) {
			return nil, fmt.Errorf("%w: %w", runtime.ErrInvalidSpec, err)
		}
		return nil, fmt.Errorf("%w: kubernetes: create pod for task %s: %w", runtime.ErrUnavailable, spec.ID, err)
	}
	newRevision = false
	d.mu.Lock()
	d.keep(spec, created)
	d.mu.Unlock()
	return created, nil
}

// revisionLock is the lock of a revision's object: Start holds it shared
// from getting the object to creating a pod it owns; deleting the object
// holds it alone, so that no pod gets an owner about to vanish (which
// the garbage collector would delete).
func (d *Driver) revisionLock(name string) *sync.RWMutex {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.revLocks[name]
	if l == nil {
		l = new(sync.RWMutex)
		d.revLocks[name] = l
	}
	return l
}

// ensureRevision returns an owner reference to the object of the spec's
// revision, creating the object if there is none, and whether it did.
// The caller holds the revision's lock (shared).
func (d *Driver) ensureRevision(ctx context.Context, spec runtime.TaskSpec, name string) (metav1.OwnerReference, bool, error) {
	revs := d.cs.AppsV1().ControllerRevisions(d.cfg.Namespace)
	cr, err := revs.Get(ctx, name, metav1.GetOptions{})
	created := false
	if apierrors.IsNotFound(err) {
		cr, err = d.buildRevision(spec, name)
		if err != nil {
			return metav1.OwnerReference{}, false, err
		}
		cr, err = revs.Create(ctx, cr, metav1.CreateOptions{})
		created = err == nil
		if apierrors.IsAlreadyExists(err) {
			cr, err = revs.Get(ctx, name, metav1.GetOptions{})
		}
	}
	if err != nil {
		return metav1.OwnerReference{}, false, fmt.Errorf("%w: kubernetes: revision object %s: %w", runtime.ErrUnavailable, name, err)
	}
	if cr.DeletionTimestamp != nil {
		// Deleted in the foreground by someone else: a pod it owned would
		// be deleted with it. Until it is gone the revision cannot start.
		return metav1.OwnerReference{}, false, fmt.Errorf("%w: kubernetes: revision object %s is being deleted", runtime.ErrUnavailable, name)
	}
	return metav1.OwnerReference{
		APIVersion:         "apps/v1",
		Kind:               "ControllerRevision",
		Name:               cr.Name,
		UID:                cr.UID,
		Controller:         ptr(false),
		BlockOwnerDeletion: ptr(false),
	}, created, nil
}

// buildRevision is the object of the spec's revision: labelled as its
// pods are, with the revision's template (the spec without the task's
// ID and ARN) as data and its number as Revision.
func (d *Driver) buildRevision(spec runtime.TaskSpec, name string) (*appsv1.ControllerRevision, error) {
	tmpl := spec
	tmpl.ID = ""
	tmpl.Labels = maps.Clone(spec.Labels)
	delete(tmpl.Labels, runtime.LabelTaskArn)
	raw, err := json.Marshal(tmpl)
	if err != nil {
		return nil, fmt.Errorf("encode revision template: %w", err)
	}
	n, err := strconv.ParseInt(lastPart(spec.Labels[runtime.LabelServiceRevision]), 10, 64)
	if err != nil {
		n = 0
	}
	l := groupLabels(spec)
	l[LabelInstance] = d.cfg.Instance
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   d.cfg.Namespace,
			Labels:      l,
			Annotations: map[string]string{runtime.LabelServiceRevision: spec.Labels[runtime.LabelServiceRevision]},
		},
		Data:     k8sruntime.RawExtension{Raw: raw},
		Revision: n,
	}, nil
}

// revisionOwner is the pod's owner reference to a revision object, or
// nil.
func revisionOwner(pod *corev1.Pod) *metav1.OwnerReference {
	for i, o := range pod.OwnerReferences {
		if o.APIVersion == "apps/v1" && o.Kind == "ControllerRevision" {
			return &pod.OwnerReferences[i]
		}
	}
	return nil
}

// ownedBy reports whether the pod names the object uid as an owner.
func ownedBy(pod *corev1.Pod, uid types.UID) bool {
	for _, o := range pod.OwnerReferences {
		if o.UID == uid {
			return true
		}
	}
	return false
}

// releaseRevision deletes the revision object the removed pod owned
// unless another pod of the driver's still names it.
func (d *Driver) releaseRevision(ctx context.Context, pod *corev1.Pod) error {
	owner := revisionOwner(pod)
	if owner == nil {
		return nil
	}
	l := d.revisionLock(owner.Name)
	l.Lock()
	defer l.Unlock()
	return d.dropRevisionIfUnused(ctx, *owner, pod.Labels, pod.UID)
}

// dropRevisionIfUnused deletes the revision object owner unless a pod
// other than except, and not let go of, names it: one the informer holds
// (the driver's own creations included), or one a fresh list of the
// pods labelled with the revision's labels finds (the informer may
// lag). The caller holds the revision's lock alone, so no Start gives
// it a new pod meanwhile.
func (d *Driver) dropRevisionIfUnused(ctx context.Context, owner metav1.OwnerReference, podLabels map[string]string, except types.UID) error {
	uses := func(p *corev1.Pod) bool {
		// A pod released by Remove lingers while the kubelet finishes
		// with it, but goes whatever becomes of its owner.
		released := d.removed[p.UID] || p.DeletionTimestamp != nil && !slices.Contains(p.Finalizers, finalizer)
		return p.UID != except && !released && ownedBy(p, owner.UID)
	}
	d.mu.Lock()
	used := false
	for _, p := range d.pods {
		used = used || uses(p)
	}
	d.mu.Unlock()
	if used {
		return nil
	}
	sel := labels.Set{LabelInstance: d.cfg.Instance}
	for _, k := range []string{LabelCluster, LabelService, LabelRevision} {
		if v, ok := podLabels[k]; ok {
			sel[k] = v
		}
	}
	pods, err := d.cs.CoreV1().Pods(d.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return fmt.Errorf("kubernetes: list the pods of revision object %s: %w", owner.Name, err)
	}
	d.mu.Lock()
	used = slices.ContainsFunc(pods.Items, func(p corev1.Pod) bool { return uses(&p) })
	d.mu.Unlock()
	if used {
		return nil
	}
	err = d.cs.AppsV1().ControllerRevisions(d.cfg.Namespace).Delete(ctx, owner.Name, metav1.DeleteOptions{
		// Another object of the name is another revision's lifetime.
		Preconditions: &metav1.Preconditions{UID: &owner.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("kubernetes: delete revision object %s: %w", owner.Name, err)
	}
	return nil
}

// sweepAge is how old a revision object must be for sweepRevisions to
// delete it. Another server's driver on the same instance (a leader,
// with this one following it) may have just created one whose first pod
// it is about to create: the lock that guards that is in its process.
var sweepAge = time.Minute

// sweepRevisions deletes the instance's revision objects that no pod
// names: those a control plane left when it stopped between releasing a
// revision's last pod and deleting its object. It runs once the
// informer holds every pod, and leaves objects younger than sweepAge.
func (d *Driver) sweepRevisions(ctx context.Context) {
	list, err := d.cs.AppsV1().ControllerRevisions(d.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: d.selector()})
	if err != nil {
		d.log.Warn("list the revision objects left unused", "namespace", d.cfg.Namespace, "err", err)
		return
	}
	for _, r := range list.Items {
		if time.Since(r.CreationTimestamp.Time) < d.sweepAge {
			continue
		}
		l := d.revisionLock(r.Name)
		l.Lock()
		err := d.dropRevisionIfUnused(ctx, metav1.OwnerReference{Name: r.Name, UID: r.UID}, r.Labels, "")
		l.Unlock()
		if err != nil {
			d.log.Warn("delete a revision object left unused", "revision", r.Name, "err", err)
		}
	}
}
