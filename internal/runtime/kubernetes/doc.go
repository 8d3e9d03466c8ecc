// Package kubernetes is the kubernetes runtime: it runs each task as a
// Kubernetes pod, through client-go.
//
// A task is one pod, labelled with the driver's instance, the task's
// cluster, service and service revision (LabelCluster, LabelService,
// LabelRevision, hashed where not valid label values) and, where they
// make valid label values, the task's own labels; the task spec is kept
// on the pod as an annotation, so a restarted control plane re-adopts
// its pods by label. A service revision is a ControllerRevision, which
// owns the revision's pods (revision.go): the deployment engine, not a
// ReplicaSet, chooses which pods to stop. Container
// definitions map onto the pod spec: image, entryPoint as command and
// command as args, environment, ports, cpu and memory as resources,
// healthCheck as an exec readiness probe, stopTimeout as the pod's
// termination grace period (Kubernetes has one per pod: the longest
// stopTimeout of the task). Containers that others depend on run before
// them as init containers: to completion for COMPLETE and SUCCESS, as
// sidecars (started, and passed a startup probe for HEALTHY) otherwise;
// a dependency that can no longer hold stops the task with ECS's
// CannotStartContainerError reason.
//
// A container port is reached at the pod IP and the container port, which
// the port's binding reports (BindIP, HostPort), so that the load
// balancer targets the pod itself; with Config.HostPorts it is instead
// published on the node at a host port the driver picks (a pod hostPort),
// which the binding reports with an empty BindIP (the host's loopback).
//
// New contacts nothing: the informer lists the pods in the background.
// Until it has, a call that needs them waits a few seconds at most, and
// none once listing has failed: it returns runtime.ErrUnavailable, so an
// API server that is down never holds the control plane.
//
// Kubernetes cannot stop a pod without deleting it, and a deleted pod's
// statuses vanish with it; so every pod carries a finalizer of the
// driver's. Stop deletes the pod: the kubelet stops its containers with
// SIGTERM and, after the grace period, SIGKILL, and the pod stays, with
// its final container states, until Remove lifts the finalizer. When an
// essential container exits the driver stops the pod the same way. The
// stopped reason is recorded on the pod as an annotation.
//
// Where Kubernetes differs from ECS and the other runtimes:
//   - probes count in whole seconds (at least one): a health check's
//     interval and timeout are rounded up;
//   - a readiness probe is passing or not: UNHEALTHY is inferred, once a
//     check that passed fails, or when none passed within the start period
//     and the retries' checks;
//   - a COMPLETE dependency runs as an init container, which must exit 0
//     (as for SUCCESS) or the task stops;
//   - a container's user must be numeric (uid[:gid]);
//   - ulimits and dockerLabels have no pod equivalent and are not applied;
//   - one termination grace period per pod (above).
//
// The driver watches its pods with an informer: states, exit codes and
// health come from pod phases and container states as they change, and
// a Watch caller is told of each change.
package kubernetes
