package kubernetes_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

// newTestDriver returns a driver with an instance of its own on the test
// cluster, publishing ports on the node as the suite wants; when the test
// ends it is closed and whatever pods of its instance are left are
// deleted.
func newTestDriver(t *testing.T) *kubernetes.Driver {
	t.Helper()
	return newDriver(t, true)
}

// newDriver is newTestDriver with or without Config.HostPorts.
func newDriver(t *testing.T, hostPorts bool) *kubernetes.Driver {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	instance := "test-" + hex.EncodeToString(b[:])
	d, err := kubernetes.New(kubernetes.Config{
		Kubeconfig: kubetest.Cluster(t),
		Instance:   instance,
		// The suite reaches tasks at 127.0.0.1 and a host port.
		HostPorts:  hostPorts,
		PullPolicy: corev1.PullNever,
		Logger:     runtimetest.Logger(t),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	cs := kubetest.Client(t)
	t.Cleanup(func() {
		_ = d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sel := kubernetes.LabelInstance + "=" + instance
		pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			t.Errorf("cleanup: list pods: %v", err)
			return
		}
		for _, p := range pods.Items {
			_, _ = cs.CoreV1().Pods("default").Patch(ctx, p.Name, "application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			_ = cs.CoreV1().Pods("default").Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}
	})
	return d
}

// app describes the test app image to the conformance suite.
func app(t *testing.T) runtimetest.App {
	image := kubetest.App(t)
	return runtimetest.App{
		Command: func(args ...string) []string { return append([]string{kubetest.AppPath}, args...) },
		Env:     map[string]string{runtimetest.EnvListenHost: "0.0.0.0"},
		Image:   image,
		Skip: map[string]string{
			"DependsOnStopOrder": "Kubernetes has one termination grace period per pod, not one per container: " +
				"a container is killed only after the longest stopTimeout of its task",
		},
	}
}

// TestConformance runs the runtime.Driver conformance suite on the real
// single-node cluster.
func TestConformance(t *testing.T) {
	a := app(t)
	runtimetest.Run(t, func(t *testing.T) runtime.Driver { return newTestDriver(t) }, a)
}

// TestAdoption: a new driver of the same instance (a restarted control
// plane) finds the pods of the old one by label, reports them, stops a
// task whose essential container exited while no driver watched, and
// stops and removes what it adopted.
func TestAdoption(t *testing.T) {
	a := app(t)
	old := newTestDriver(t)
	web := a.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	dying := a.Container("main", nil, "exit", "4", "3s")
	ctx := context.Background()
	for _, spec := range []runtime.TaskSpec{
		{ID: "running", Containers: []runtime.ContainerSpec{web}},
		{ID: "dying", Containers: []runtime.ContainerSpec{dying}},
	} {
		if _, err := old.Start(ctx, spec); err != nil {
			t.Fatalf("Start %s: %v", spec.ID, err)
		}
	}
	waitFor(t, old, "running", runtime.StateRunning)
	waitFor(t, old, "dying", runtime.StateRunning)
	_ = old.Close() // the control plane dies; main exits while nobody watches
	time.Sleep(4 * time.Second)

	d, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubetest.Cluster(t), Instance: old.Instance(), PullPolicy: corev1.PullNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	list, err := d.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("List = %+v, want the two tasks of the old driver", list)
	}
	waitFor(t, d, "running", runtime.StateRunning)
	// The adopted task is reached as the load balancer reaches pods: at
	// the pod IP and the container port.
	ip, err := d.PodIP(ctx, "running")
	if err != nil || ip == "" {
		t.Fatalf("PodIP = %q, %v", ip, err)
	}
	resp, err := http.Get("http://" + net.JoinHostPort(ip, "8080") + "/")
	if err != nil {
		t.Fatalf("GET from the pod IP: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET from the pod IP: %s", resp.Status)
	}
	st := waitFor(t, d, "dying", runtime.StateStopped)
	if st.StoppedReason != "Essential container in task exited" || st.Containers[0].ExitCode == nil || *st.Containers[0].ExitCode != 4 {
		t.Errorf("dying: reason %q, containers %+v", st.StoppedReason, st.Containers)
	}
	if err := d.Stop(ctx, "running"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, "running", runtime.StateStopped)
	for _, id := range []string{"running", "dying"} {
		if err := d.Remove(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Inspect(ctx, id); !errors.Is(err, runtime.ErrTaskNotFound) {
			t.Errorf("Inspect %s after Remove = %v", id, err)
		}
	}
}

// TestBindingAtPodIP: without Config.HostPorts a port's binding is the
// pod IP and the container port, where the task answers (the load
// balancer's target); with it, the host port on the host's loopback, as
// the other drivers report.
func TestBindingAtPodIP(t *testing.T) {
	a := app(t)
	web := a.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	spec := runtime.TaskSpec{ID: "web", Containers: []runtime.ContainerSpec{web}}
	ctx := context.Background()
	for _, hostPorts := range []bool{false, true} {
		d := newDriver(t, hostPorts)
		if _, err := d.Start(ctx, spec); err != nil {
			t.Fatalf("Start (hostPorts %v): %v", hostPorts, err)
		}
		st := waitFor(t, d, "web", runtime.StateRunning)
		ip, err := d.PodIP(ctx, "web")
		if err != nil || ip == "" {
			t.Fatalf("PodIP = %q, %v", ip, err)
		}
		b := st.Containers[0].Ports[0]
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(b.HostPort))
		if hostPorts {
			if b.BindIP != "" || b.HostPort == 8080 || b.HostPort == 0 {
				t.Errorf("with host ports: binding %+v, want no bindIP and a host port the driver picked", b)
			}
		} else {
			if b.BindIP != ip || b.HostPort != 8080 {
				t.Errorf("binding %+v, want bindIP %s (the pod IP) and hostPort 8080", b, ip)
			}
			addr = net.JoinHostPort(b.BindIP, strconv.Itoa(b.HostPort))
		}
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatalf("GET at the binding %s: %v", addr, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET at the binding %s: %s", addr, resp.Status)
		}
	}
}

// waitFor polls Inspect until the task is in state.
func waitFor(t *testing.T, d runtime.Driver, id string, state runtime.State) runtime.TaskStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := d.Inspect(context.Background(), id)
		if err == nil && st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: timed out waiting for %s; last: %+v, %v", id, state, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
