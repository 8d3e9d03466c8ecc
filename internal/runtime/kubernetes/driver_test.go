package kubernetes_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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
// cluster; when the test ends it is closed and whatever pods of its
// instance are left are deleted.
func newTestDriver(t *testing.T) *kubernetes.Driver {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	instance := "test-" + hex.EncodeToString(b[:])
	d, err := kubernetes.New(kubernetes.Config{
		Kubeconfig: kubetest.Cluster(t),
		Instance:   instance,
		// The suite reaches tasks at 127.0.0.1 and a host port.
		HostPorts:  true,
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
