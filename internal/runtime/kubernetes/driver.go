package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/cutover/cutover/internal/runtime"
)

// Config configures a Driver.
type Config struct {
	// Kubeconfig is the path of the kubeconfig; empty means the in-cluster
	// configuration.
	Kubeconfig string
	// Namespace is the Kubernetes namespace of the pods; default
	// "default".
	Namespace string
	// Instance separates the pods of this driver from those of other
	// drivers in the same namespace (label LabelInstance); default
	// "cutover".
	Instance string
	// HostPorts publishes each container port on the node at a host port
	// (a pod hostPort; the driver picks a free one for HostPort 0),
	// reported as the binding's HostPort with an empty BindIP. Without it
	// a binding's HostPort is the container port and its BindIP the pod
	// IP.
	HostPorts bool
	// PullPolicy is the pods' image pull policy; default IfNotPresent.
	PullPolicy corev1.PullPolicy
	// Logger receives the driver's logs, as scoped by the caller (the
	// server's names the runtime); default slog.Default().
	Logger *slog.Logger
}

// Driver runs tasks as Kubernetes pods through client-go. See the package
// documentation.
type Driver struct {
	cfg  Config
	cs   kubernetes.Interface
	log  *slog.Logger
	stop context.CancelFunc

	synced   chan struct{} // closed once the informer has synced
	syncErr  error
	watchers sync.Map // *watcher → struct{}

	mu       sync.Mutex
	pods     map[string]*corev1.Pod // by task ID: the newest version seen
	specs    map[string]runtime.TaskSpec
	removed  map[types.UID]bool // pods Remove let go; their late events are ignored
	stopping map[types.UID]bool // pods the driver is deleting
	rechecks map[types.UID]bool // pods with a recheck pending
	healthy  map[string]bool    // pod UID/container names that passed their check
	starting map[string]*sync.Mutex
	revLocks map[string]*sync.RWMutex // by revision object name: see revisionLock
	sweepAge time.Duration            // sweepAge when the driver was made
	warned   string                   // the last failure to list or watch the pods logged as a warning
}

// ErrNoConfig is New's error without a kubeconfig outside a pod: there is
// no cluster to run pods on, which is how a server that does not use the
// kubernetes runtime is set up.
var ErrNoConfig = errors.New("kubernetes runtime: no kubeconfig given, and not in a pod (no in-cluster configuration)")

// watcher is one Watch caller.
type watcher struct{ changed func(id string) }

// New returns a driver for cfg and starts watching its pods. It reads the
// kubeconfig but contacts nothing: the informer lists the pods in the
// background. Without a kubeconfig, outside a pod, it returns ErrNoConfig.
func New(cfg Config) (*Driver, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Instance == "" {
		cfg.Instance = "cutover"
	}
	if errs := validation.IsValidLabelValue(cfg.Instance); len(errs) > 0 {
		return nil, fmt.Errorf("kubernetes runtime: instance %q: %v", cfg.Instance, errs)
	}
	if cfg.PullPolicy == "" {
		cfg.PullPolicy = corev1.PullIfNotPresent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.Kubeconfig}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if cfg.Kubeconfig == "" && clientcmd.IsEmptyConfig(err) {
			return nil, ErrNoConfig
		}
		return nil, fmt.Errorf("kubernetes runtime: load kubeconfig: %w", err)
	}
	// The suite and a busy control plane inspect often; the informer
	// answers those, so the rate limit guards only writes.
	rc.QPS, rc.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runtime: client: %w", err)
	}
	return NewWithClient(cfg, cs), nil
}

// NewWithClient returns a driver using cs.
func NewWithClient(cfg Config, cs kubernetes.Interface) *Driver {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Driver{
		cfg: cfg, cs: cs, log: cfg.Logger, stop: cancel,
		synced:   make(chan struct{}),
		pods:     make(map[string]*corev1.Pod),
		specs:    make(map[string]runtime.TaskSpec),
		removed:  make(map[types.UID]bool),
		stopping: make(map[types.UID]bool),
		rechecks: make(map[types.UID]bool),
		healthy:  make(map[string]bool),
		starting: make(map[string]*sync.Mutex),
		revLocks: make(map[string]*sync.RWMutex),
		sweepAge: sweepAge,
	}
	d.runInformer(ctx)
	return d
}

// Instance returns the instance whose pods the driver runs.
func (d *Driver) Instance() string { return d.cfg.Instance }

// Close stops watching. The pods keep running.
func (d *Driver) Close() error {
	d.stop()
	return nil
}

// runInformer watches the driver's pods (watch, not poll) and keeps
// d.pods current.
func (d *Driver) runInformer(ctx context.Context) {
	sel := d.selector()
	f := informers.NewSharedInformerFactoryWithOptions(d.cs, 0,
		informers.WithNamespace(d.cfg.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel }))
	inf := f.Core().V1().Pods().Informer()
	// Instead of client-go's handler, which logs every failed attempt
	// through klog: the driver's log, once per kind of failure.
	_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { d.watchFailed(err) })
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { d.observe(obj, false) },
		UpdateFunc: func(_, obj any) { d.observe(obj, false) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			d.observe(obj, true)
		},
	})
	f.Start(ctx.Done())
	go func() {
		if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			d.syncErr = fmt.Errorf("%w: kubernetes: pod informer did not sync", runtime.ErrUnavailable)
			close(d.synced)
			return
		}
		close(d.synced)
		d.sweepRevisions(ctx)
	}()
}

// selector selects the pods of the driver's instance.
func (d *Driver) selector() string {
	return labels.SelectorFromSet(labels.Set{LabelInstance: d.cfg.Instance}).String()
}

// watchFailed logs a failure of the informer to list or watch the pods
// (it tries again itself, backing off) when it differs from the last one
// logged: an API server that stays away is told of once, not at every
// attempt.
func (d *Driver) watchFailed(err error) {
	if errors.Is(err, io.EOF) || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		return // a watch that ended as watches do; the informer resumes
	}
	d.mu.Lock()
	repeat := err.Error() == d.warned
	d.warned = err.Error()
	d.mu.Unlock()
	if repeat {
		d.log.Debug("list or watch pods", "err", err)
		return
	}
	d.log.Warn("list or watch pods (retrying)", "namespace", d.cfg.Namespace, "err", err)
}

// readyWait bounds how long a call waits for the informer's first list
// of the pods: a healthy API server answers in milliseconds, and one that
// cannot be reached must not hold the control plane's passes (they call
// List on every runtime).
const readyWait = 5 * time.Second

// ready waits until the informer has synced, so that what it holds is
// every pod of the driver. Until then it returns runtime.ErrUnavailable
// as soon as the API server is found down or refusing the driver, and
// after readyWait at the latest.
func (d *Driver) ready(ctx context.Context) error {
	select {
	case <-d.synced:
		return d.syncErr
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	// The informer retries a refused connection for ever without a word
	// (client-go's watch-list does): ask the API server once directly,
	// to tell one that is down or refuses from one that is slow.
	probe := make(chan error, 1)
	go func() {
		_, err := d.cs.CoreV1().Pods(d.cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: d.selector(), Limit: 1})
		probe <- err
	}()
	select {
	case <-d.synced:
		return d.syncErr
	case err := <-probe:
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%w: kubernetes: list the pods: %w", runtime.ErrUnavailable, err)
		}
	case <-ctx.Done():
	}
	select {
	case <-d.synced:
		return d.syncErr
	case <-ctx.Done():
		return fmt.Errorf("%w: kubernetes: waiting for the pod list: %w", runtime.ErrUnavailable, ctx.Err())
	}
}

// observe records a pod's newest version, stops the task when an
// essential container exited, and tells the watchers.
func (d *Driver) observe(obj any, deleted bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	spec, err := specOf(pod)
	if err != nil {
		d.log.Warn("pod without a readable task spec", "pod", pod.Name, "err", err)
		return
	}
	d.mu.Lock()
	if d.removed[pod.UID] {
		if deleted {
			delete(d.removed, pod.UID)
		}
		d.mu.Unlock()
		return
	}
	if deleted {
		if cur := d.pods[spec.ID]; cur != nil && cur.UID == pod.UID {
			delete(d.pods, spec.ID)
			delete(d.specs, spec.ID)
		}
	} else {
		d.keep(spec, pod)
	}
	d.mu.Unlock()
	if !deleted {
		d.maybeStop(pod, spec)
	}
	d.watchers.Range(func(k, _ any) bool {
		k.(*watcher).changed(spec.ID)
		return true
	})
}

// keep stores pod if it is newer than the version held. d.mu is held.
func (d *Driver) keep(spec runtime.TaskSpec, pod *corev1.Pod) {
	if cur := d.pods[spec.ID]; cur != nil && cur.UID == pod.UID && newer(cur, pod) {
		return
	}
	d.pods[spec.ID] = pod
	d.specs[spec.ID] = spec
	for _, s := range append(append([]corev1.ContainerStatus(nil), pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if s.Ready {
			d.healthy[string(pod.UID)+"/"+s.Name] = true
		}
	}
}

// newer reports whether a's resource version is later than b's.
func newer(a, b *corev1.Pod) bool {
	x, err1 := strconv.ParseUint(a.ResourceVersion, 10, 64)
	y, err2 := strconv.ParseUint(b.ResourceVersion, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

// maybeStop stops a running task whose essential container exited, or
// whose run-to-end container (which others wait for) failed.
func (d *Driver) maybeStop(pod *corev1.Pod, spec runtime.TaskSpec) {
	if pod.DeletionTimestamp != nil {
		return
	}
	reason, recheck := unmet(pod, spec, time.Now())
	if recheck > 0 {
		d.recheckAfter(pod, spec.ID, recheck)
	}
	statuses := containerStatuses(pod)
	for i, name := range containerNames(spec) {
		s, ok := statuses[name]
		if reason != "" || !ok || s.State.Terminated == nil {
			continue
		}
		c := spec.Containers[i]
		if c.Essential {
			reason = reasonEssentialExited
			break
		}
	}
	if reason == "" && stopped(pod) {
		reason = reasonEssentialExited
		if pod.Status.Phase == corev1.PodFailed && len(pod.Status.ContainerStatuses) > 0 && pod.Status.ContainerStatuses[0].State.Terminated == nil {
			reason = reasonDependency
		}
	}
	if reason == "" {
		return
	}
	d.mu.Lock()
	if d.stopping[pod.UID] {
		d.mu.Unlock()
		return
	}
	d.stopping[pod.UID] = true
	d.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.deletePod(ctx, pod, reason); err != nil && !apierrors.IsNotFound(err) {
			d.log.Warn("stop task", "task", spec.ID, "reason", reason, "err", err)
			d.mu.Lock()
			delete(d.stopping, pod.UID)
			d.mu.Unlock()
		}
	}()
}

// recheckAfter looks at the task again after wait, once per pod at a
// time: a dependency may be found unmet by time alone.
func (d *Driver) recheckAfter(pod *corev1.Pod, id string, wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rechecks[pod.UID] {
		return
	}
	d.rechecks[pod.UID] = true
	time.AfterFunc(wait+100*time.Millisecond, func() {
		d.mu.Lock()
		delete(d.rechecks, pod.UID)
		cur, spec := d.pods[id], d.specs[id]
		d.mu.Unlock()
		if cur != nil && cur.UID == pod.UID {
			d.maybeStop(cur, spec)
		}
	})
}

// deletePod records why the task stops and deletes its pod: the kubelet
// stops the containers; the finalizer keeps the pod until Remove.
func (d *Driver) deletePod(ctx context.Context, pod *corev1.Pod, reason string) error {
	if pod.Annotations[annotationReason] == "" {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, annotationReason, reason)
		if _, err := d.cs.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("record stop reason: %w", err)
		}
	}
	err := d.cs.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s: %w", pod.Name, err)
	}
	return nil
}

// lookup returns the task's newest pod and spec.
func (d *Driver) lookup(ctx context.Context, id string) (*corev1.Pod, runtime.TaskSpec, error) {
	if err := d.ready(ctx); err != nil {
		return nil, runtime.TaskSpec{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pod, ok := d.pods[id]
	if !ok {
		return nil, runtime.TaskSpec{}, fmt.Errorf("task %q: %w", id, runtime.ErrTaskNotFound)
	}
	return pod, d.specs[id], nil
}

// status is a task's status from its pod, with health the driver
// remembers (a check that passed and then failed is UNHEALTHY).
func (d *Driver) status(pod *corev1.Pod, spec runtime.TaskSpec) runtime.TaskStatus {
	st := statusOf(pod, spec, time.Now())
	names := containerNames(spec)
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range st.Containers {
		c := &st.Containers[i]
		if c.State == runtime.StateRunning && c.Health == runtime.HealthUnknown && spec.Containers[i].HealthCheck != nil &&
			d.healthy[string(pod.UID)+"/"+names[i]] {
			c.Health = runtime.HealthUnhealthy
		}
	}
	return st
}

// Start creates the task's pod, owned by its revision's object (created
// with the revision's first pod) when the task is a service's. Starting
// a task that has a pod returns its status.
func (d *Driver) Start(ctx context.Context, spec runtime.TaskSpec) (runtime.TaskStatus, error) {
	if err := runtime.Validate(spec); err != nil {
		return runtime.TaskStatus{}, err
	}
	pod, err := d.buildPod(spec)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	if err := d.ready(ctx); err != nil {
		return runtime.TaskStatus{}, err
	}
	// One Start per task at a time: concurrent ones return the first's pod.
	d.mu.Lock()
	lock := d.starting[spec.ID]
	if lock == nil {
		lock = new(sync.Mutex)
		d.starting[spec.ID] = lock
	}
	d.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()
	if cur, curSpec, err := d.lookup(ctx, spec.ID); err == nil {
		return d.status(cur, curSpec), nil
	}
	created, err := d.createPod(ctx, spec, pod)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	return d.status(created, spec), nil
}

// Inspect returns the task's status from its pod.
func (d *Driver) Inspect(ctx context.Context, id string) (runtime.TaskStatus, error) {
	pod, spec, err := d.lookup(ctx, id)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	return d.status(pod, spec), nil
}

// List returns the status of every task with a pod of this driver's
// instance, including pods created before this driver started.
func (d *Driver) List(ctx context.Context) ([]runtime.TaskStatus, error) {
	if err := d.ready(ctx); err != nil {
		return nil, err
	}
	d.mu.Lock()
	pods := make([]*corev1.Pod, 0, len(d.pods))
	specs := make([]runtime.TaskSpec, 0, len(d.pods))
	for id, p := range d.pods {
		pods = append(pods, p)
		specs = append(specs, d.specs[id])
	}
	d.mu.Unlock()
	out := make([]runtime.TaskStatus, len(pods))
	for i := range pods {
		out[i] = d.status(pods[i], specs[i])
	}
	return out, nil
}

// Stop deletes the task's pod with its grace period: SIGTERM, then
// SIGKILL after the longest stopTimeout.
func (d *Driver) Stop(ctx context.Context, id string) error {
	pod, _, err := d.lookup(ctx, id)
	if err != nil {
		return err
	}
	if pod.DeletionTimestamp != nil || stopped(pod) && pod.Annotations[annotationReason] != "" {
		return nil
	}
	d.mu.Lock()
	d.stopping[pod.UID] = true
	d.mu.Unlock()
	if err := d.deletePod(ctx, pod, reasonUserStop); err != nil {
		return fmt.Errorf("%w: kubernetes: stop task %s: %w", runtime.ErrUnavailable, id, err)
	}
	return nil
}

// Remove lifts the driver's finalizer from a stopped task's pod, which
// Kubernetes then deletes, and deletes the object of its revision when
// no other pod names it.
func (d *Driver) Remove(ctx context.Context, id string) error {
	pod, _, err := d.lookup(ctx, id)
	if errors.Is(err, runtime.ErrTaskNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !stopped(pod) {
		return fmt.Errorf("task %q: %w", id, runtime.ErrTaskRunning)
	}
	pods := d.cs.CoreV1().Pods(pod.Namespace)
	if pod.DeletionTimestamp == nil {
		err := pods.Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("%w: kubernetes: delete pod of task %s: %w", runtime.ErrUnavailable, id, err)
		}
	}
	patch := fmt.Sprintf(`{"metadata":{"finalizers":null,"uid":%q}}`, pod.UID)
	if _, err := pods.Patch(ctx, pod.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%w: kubernetes: release pod of task %s: %w", runtime.ErrUnavailable, id, err)
	}
	d.mu.Lock()
	if cur := d.pods[id]; cur != nil && cur.UID == pod.UID {
		delete(d.pods, id)
		delete(d.specs, id)
	}
	d.removed[pod.UID] = true
	for _, ports := range hostPorts(pod) {
		for _, p := range ports {
			picked.Delete(p)
		}
	}
	delete(d.stopping, pod.UID)
	for k := range d.healthy {
		if len(k) > len(pod.UID) && k[:len(pod.UID)] == string(pod.UID) {
			delete(d.healthy, k)
		}
	}
	d.mu.Unlock()
	// With the pod gone, a retried Remove would find no task: a failure
	// to delete an unused revision object is logged, not returned.
	if err := d.releaseRevision(ctx, pod); err != nil {
		d.log.Warn("delete the revision object of the last pod removed", "task", id, "err", err)
	}
	return nil
}

// PodIP returns the IP address of the task's pod, at which its
// containers' ports are reached; "" until the pod has one.
func (d *Driver) PodIP(ctx context.Context, id string) (string, error) {
	pod, _, err := d.lookup(ctx, id)
	if err != nil {
		return "", err
	}
	return pod.Status.PodIP, nil
}

// Logs writes the tail of a container's log, as the kubelet keeps it.
func (d *Driver) Logs(ctx context.Context, id, container string, maxBytes int64, w io.Writer) error {
	pod, spec, err := d.lookup(ctx, id)
	if err != nil {
		return err
	}
	name := ""
	for i, c := range spec.Containers {
		if c.Name == container {
			name = containerNames(spec)[i]
		}
	}
	if name == "" {
		return fmt.Errorf("task %q container %q: %w", id, container, runtime.ErrTaskNotFound)
	}
	// LimitBytes would keep the head of the log: read it all and keep
	// the tail.
	opts := &corev1.PodLogOptions{Container: name}
	rc, err := d.cs.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Stream(ctx)
	if err != nil {
		// A container that has not started has no log yet.
		if apierrors.IsBadRequest(err) {
			return nil
		}
		return fmt.Errorf("kubernetes: logs of task %s container %s: %w", id, container, err)
	}
	defer func() { _ = rc.Close() }()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("kubernetes: logs of task %s container %s: %w", id, container, err)
	}
	if maxBytes > 0 && int64(len(data)) > maxBytes {
		data = data[int64(len(data))-maxBytes:]
	}
	_, err = w.Write(data)
	return err
}

// Watch calls changed with a task's ID whenever its pod changes, until
// ctx ends.
func (d *Driver) Watch(ctx context.Context, changed func(id string)) error {
	// Watch waits for the first list however long it takes, rather than
	// failing fast as ready does: it runs on its own, and a caller that
	// retries a failed Watch would only log the same failure again.
	select {
	case <-d.synced:
		if d.syncErr != nil {
			return d.syncErr
		}
	case <-ctx.Done():
		return nil
	}
	w := &watcher{changed: changed}
	d.watchers.Store(w, struct{}{})
	defer d.watchers.Delete(w)
	d.mu.Lock()
	ids := make([]string, 0, len(d.pods))
	for id := range d.pods {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	for _, id := range ids {
		changed(id)
	}
	<-ctx.Done()
	return nil
}
