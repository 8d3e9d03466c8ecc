package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/cutover/cutover/internal/runtime"
)

// Labels, annotations and the finalizer the driver puts on its pods.
const (
	// LabelInstance holds Config.Instance: drivers with different
	// instances never see each other's pods.
	LabelInstance = "cutover.io/instance"
	// LabelTask holds the task ID when it is a valid label value, else a
	// hash of it; the annotation holds it whole.
	LabelTask = "cutover.io/task"
	// annotationSpec holds the task spec as JSON: what a restarted
	// driver needs to report the task by its own names.
	annotationSpec = "cutover.io/spec"
	// annotationReason holds the stopped reason, set before the driver
	// deletes the pod.
	annotationReason = "cutover.io/stopped-reason"
	// finalizer keeps a stopped pod, and its final container states,
	// until Remove.
	finalizer = "cutover.io/keep-until-removed"
)

// podName is the pod's name for a task: DNS-safe, lowercase, and unique
// per (instance, task ID) through a hash of both.
func podName(instance, id string) string {
	return dnsName("t", id, instance+"\x00"+id)
}

// dnsName is prefix and readable made DNS-safe and lowercase, cut short,
// then a hash of key: unique per key, and telling to an operator.
func dnsName(prefix, readable, key string) string {
	sum := sha256.Sum256([]byte(key))
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, readable)
	if len(base) > 40 {
		base = base[:40]
	}
	return strings.Trim(prefix+"-"+base, "-") + "-" + hex.EncodeToString(sum[:5])
}

// containerNames maps the spec's container names to Kubernetes container
// names (DNS labels), in spec order.
func containerNames(spec runtime.TaskSpec) []string {
	names := make([]string, len(spec.Containers))
	used := make(map[string]bool)
	for i, c := range spec.Containers {
		n := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(c.Name))
		if len(validation.IsDNS1123Label(n)) > 0 || used[n] {
			n = "c" + strconv.Itoa(i)
		}
		used[n] = true
		names[i] = n
	}
	return names
}

// labelValue returns v if it is a valid label value, else a hash of it.
func labelValue(v string) string {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "h-" + hex.EncodeToString(sum[:16])
}

// buildPod maps a task spec onto a pod. The spec has passed
// runtime.Validate.
func (d *Driver) buildPod(spec runtime.TaskSpec) (*corev1.Pod, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	labels := map[string]string{LabelInstance: d.cfg.Instance, LabelTask: labelValue(spec.ID)}
	maps.Copy(labels, groupLabels(spec))
	annotations := map[string]string{annotationSpec: string(raw)}
	for k, v := range spec.Labels {
		// Task labels (ECS cluster, service, revision, task ARN) become
		// pod labels where Kubernetes allows them, annotations always.
		annotations[k] = v
		if len(validation.IsQualifiedName(k)) == 0 && len(validation.IsValidLabelValue(v)) == 0 {
			labels[k] = v
		}
	}
	names := containerNames(spec)
	index := make(map[string]int, len(spec.Containers))
	for i, c := range spec.Containers {
		index[c.Name] = i
	}
	grace := time.Duration(0)
	for _, c := range spec.Containers {
		// The grace period is the pod's: the longest stop timeout.
		grace = max(grace, stopTimeout(c))
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        podName(d.cfg.Instance, spec.ID),
			Namespace:   d.cfg.Namespace,
			Labels:      labels,
			Annotations: annotations,
			Finalizers:  []string{finalizer},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr(int64(math.Ceil(grace.Seconds()))),
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
		},
	}
	volumes := make(map[string]bool)
	roles := dependencyRoles(spec)
	healthyDep := make(map[string]bool)
	for _, c := range spec.Containers {
		for _, dep := range c.DependsOn {
			if dep.Condition == runtime.ConditionHealthy {
				healthyDep[dep.Container] = true
			}
		}
	}
	for _, i := range startOrder(spec, index) {
		c := spec.Containers[i]
		kc, err := d.container(c, names[i])
		if err != nil {
			return nil, fmt.Errorf("%w: container %q: %w", runtime.ErrInvalidSpec, c.Name, err)
		}
		for _, m := range c.Mounts {
			if !volumes[m.Volume] {
				volumes[m.Volume] = true
				pod.Spec.Volumes = append(pod.Spec.Volumes, volume(m))
			}
		}
		switch roles[c.Name] {
		case roleRunToEnd:
			kc.ReadinessProbe = nil
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, kc)
		case roleSidecar:
			kc.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
			switch {
			case !healthyDep[c.Name]:
			case c.HealthCheck != nil:
				// Containers after a sidecar start once its startup
				// probe passes: the HEALTHY condition. The driver, not
				// the kubelet, gives up on it (unmet), so the probe
				// outlasts the driver's patience.
				sp := *kc.ReadinessProbe
				sp.FailureThreshold = int32(math.Ceil(waitTimeoutFor(c.HealthCheck).Seconds()/float64(sp.PeriodSeconds))) + 10
				kc.StartupProbe = &sp
			default:
				kc.StartupProbe = &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: noHealthCheck}},
					PeriodSeconds:    10,
					FailureThreshold: 1000,
				}
			}
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, kc)
		default:
			pod.Spec.Containers = append(pod.Spec.Containers, kc)
		}
	}
	if len(pod.Spec.Containers) == 0 {
		return nil, fmt.Errorf("%w: every container is depended on, so none is left to run as the pod's main container", runtime.ErrInvalidSpec)
	}
	return pod, nil
}

// Roles a container takes in the pod because of the dependencies on it.
const (
	roleMain     = iota // a regular container
	roleRunToEnd        // an init container: others wait for its exit
	roleSidecar         // a sidecar: others wait for its start or health
)

// dependencyRoles says which containers others depend on, and how.
func dependencyRoles(spec runtime.TaskSpec) map[string]int {
	roles := make(map[string]int)
	for _, c := range spec.Containers {
		for _, dep := range c.DependsOn {
			switch dep.Condition {
			case runtime.ConditionComplete, runtime.ConditionSuccess:
				roles[dep.Container] = roleRunToEnd
			default:
				if roles[dep.Container] != roleRunToEnd {
					roles[dep.Container] = roleSidecar
				}
			}
		}
	}
	return roles
}

// startOrder orders the containers so that each comes after those it
// depends on (Validate has ruled out cycles), otherwise in spec order.
func startOrder(spec runtime.TaskSpec, index map[string]int) []int {
	var order []int
	done := make(map[int]bool)
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, dep := range spec.Containers[i].DependsOn {
			visit(index[dep.Container])
		}
		order = append(order, i)
	}
	for i := range spec.Containers {
		visit(i)
	}
	return order
}

// container maps one container definition onto a Kubernetes container.
func (d *Driver) container(c runtime.ContainerSpec, name string) (corev1.Container, error) {
	kc := corev1.Container{
		Name:            name,
		Image:           c.Image,
		Command:         c.EntryPoint,
		Args:            c.Command,
		WorkingDir:      c.WorkingDir,
		ImagePullPolicy: d.cfg.PullPolicy,
	}
	if kc.Image == "" {
		return kc, fmt.Errorf("no image")
	}
	env := envOf(c)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kc.Env = append(kc.Env, corev1.EnvVar{Name: k, Value: env[k]})
	}
	for _, p := range c.Ports {
		proto := corev1.ProtocolTCP
		if strings.EqualFold(p.Protocol, "udp") {
			proto = corev1.ProtocolUDP
		}
		cp := corev1.ContainerPort{ContainerPort: int32(p.ContainerPort), Protocol: proto}
		if d.cfg.HostPorts {
			cp.HostPort = int32(p.HostPort)
			if cp.HostPort == 0 {
				port, err := freePort(proto)
				if err != nil {
					return kc, err
				}
				cp.HostPort = int32(port)
			}
		}
		kc.Ports = append(kc.Ports, cp)
	}
	kc.Resources = resources(c)
	if hc := c.HealthCheck; hc != nil {
		probe, err := probeOf(hc)
		if err != nil {
			return kc, err
		}
		kc.ReadinessProbe = probe
	}
	sc := &corev1.SecurityContext{}
	if c.ReadonlyRootFilesystem {
		sc.ReadOnlyRootFilesystem = ptr(true)
	}
	if c.User != "" {
		user, group, _ := strings.Cut(c.User, ":")
		uid, err := strconv.ParseInt(user, 10, 64)
		if err != nil {
			return kc, fmt.Errorf("user %q: Kubernetes takes a numeric uid", c.User)
		}
		sc.RunAsUser = ptr(uid)
		if group != "" {
			gid, err := strconv.ParseInt(group, 10, 64)
			if err != nil {
				return kc, fmt.Errorf("group %q: Kubernetes takes a numeric gid", group)
			}
			sc.RunAsGroup = ptr(gid)
		}
	}
	if *sc != (corev1.SecurityContext{}) {
		kc.SecurityContext = sc
	}
	for _, m := range c.Mounts {
		kc.VolumeMounts = append(kc.VolumeMounts, corev1.VolumeMount{Name: volumeName(m.Volume), MountPath: m.Target, ReadOnly: m.ReadOnly})
	}
	return kc, nil
}

// envOf is the container's environment with PORT and PORT_<containerPort>
// added as the other drivers add them: in a pod, a container listens on
// its container port.
func envOf(c runtime.ContainerSpec) map[string]string {
	env := make(map[string]string, len(c.Env)+len(c.Ports)+1)
	for i, p := range c.Ports {
		port := strconv.Itoa(p.ContainerPort)
		if i == 0 {
			env["PORT"] = port
		}
		env["PORT_"+port] = port
	}
	for k, v := range c.Env {
		env[k] = v
	}
	return env
}

// resources maps ECS cpu units (1024 a core) to a CPU request, memory to
// a limit and memoryReservation to a request.
func resources(c runtime.ContainerSpec) corev1.ResourceRequirements {
	var r corev1.ResourceRequirements
	if c.CPU > 0 {
		r.Requests = corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(int64(c.CPU)*1000/1024, resource.DecimalSI)}
	}
	if c.Memory > 0 {
		r.Limits = corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(int64(c.Memory)<<20, resource.BinarySI)}
	}
	if c.MemoryReservation > 0 {
		if r.Requests == nil {
			r.Requests = corev1.ResourceList{}
		}
		r.Requests[corev1.ResourceMemory] = *resource.NewQuantity(int64(c.MemoryReservation)<<20, resource.BinarySI)
	}
	return r
}

// probeOf maps an ECS health check onto an exec probe. Kubernetes probes
// in whole seconds, at least one.
func probeOf(hc *runtime.HealthCheck) (*corev1.Probe, error) {
	var cmd []string
	switch {
	case len(hc.Command) >= 2 && hc.Command[0] == "CMD":
		cmd = slices.Clone(hc.Command[1:])
	case len(hc.Command) == 2 && hc.Command[0] == "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", hc.Command[1]}
	default:
		return nil, fmt.Errorf("health check command %q: want CMD or CMD-SHELL", hc.Command)
	}
	interval, timeout, retries := healthDefaults(hc)
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		PeriodSeconds:    seconds(interval),
		TimeoutSeconds:   seconds(timeout),
		FailureThreshold: int32(retries),
		SuccessThreshold: 1,
	}, nil
}

// healthDefaults returns the check's interval, timeout and retries with
// ECS's defaults for zeros.
func healthDefaults(hc *runtime.HealthCheck) (interval, timeout time.Duration, retries int) {
	interval, timeout, retries = hc.Interval, hc.Timeout, hc.Retries
	if interval <= 0 {
		interval = runtime.DefaultHealthInterval
	}
	if timeout <= 0 {
		timeout = runtime.DefaultHealthTimeout
	}
	if retries <= 0 {
		retries = runtime.DefaultHealthRetries
	}
	return interval, timeout, retries
}

// waitTimeoutFor is how long a container may take to become healthy
// before it counts as unhealthy: its start period plus retries checks.
func waitTimeoutFor(hc *runtime.HealthCheck) time.Duration {
	interval, timeout, retries := healthDefaults(hc)
	period := time.Duration(seconds(interval)) * time.Second
	return hc.StartPeriod + time.Duration(retries)*period + timeout
}

func seconds(d time.Duration) int32 { return int32(max(1, math.Ceil(d.Seconds()))) }

func stopTimeout(c runtime.ContainerSpec) time.Duration {
	if c.StopTimeout > 0 {
		return c.StopTimeout
	}
	return runtime.DefaultStopTimeout
}

// volume maps a task volume onto an emptyDir and a host volume onto a
// hostPath.
func volume(m runtime.Mount) corev1.Volume {
	v := corev1.Volume{Name: volumeName(m.Volume)}
	if m.Source != "" {
		v.HostPath = &corev1.HostPathVolumeSource{Path: m.Source}
	} else {
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	return v
}

// volumeName is a DNS-label name for a task volume.
func volumeName(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "v-" + hex.EncodeToString(sum[:8])
}

// picked holds the host ports this process has picked, so that drivers in
// one process never pick the same one: a hostPort is published by
// iptables rules, not a listening socket, so the kernel does not know it
// is taken.
var picked sync.Map // int → struct{}

// freePort picks a host port nothing listens on and no driver of this
// process picked before.
func freePort(proto corev1.Protocol) (int, error) {
	for range 100 {
		var port int
		if proto == corev1.ProtocolUDP {
			c, err := net.ListenPacket("udp", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = c.LocalAddr().(*net.UDPAddr).Port
			_ = c.Close()
		} else {
			ln, err := net.Listen("tcp", ":0")
			if err != nil {
				return 0, fmt.Errorf("pick a host port: %w", err)
			}
			port = ln.Addr().(*net.TCPAddr).Port
			_ = ln.Close()
		}
		if _, taken := picked.LoadOrStore(port, struct{}{}); !taken {
			return port, nil
		}
	}
	return 0, fmt.Errorf("pick a host port: none free")
}

func ptr[T any](v T) *T { return &v }
