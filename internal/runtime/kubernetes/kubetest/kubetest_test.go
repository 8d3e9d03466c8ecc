package kubetest

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestClusterRunsPod proves the cluster is real: a pod of the test app's
// locally built image is scheduled, started by the kubelet on containerd,
// passes an HTTP readiness probe, and answers the host on its pod IP.
func TestClusterRunsPod(t *testing.T) {
	cs := Client(t)
	image := App(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "kubetest-", Labels: map[string]string{"test": "kubetest"}},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(2)),
			Containers: []corev1.Container{{
				Name:            "app",
				Image:           image,
				ImagePullPolicy: corev1.PullNever,
				Args:            []string{AppPath, "serve"},
				Env: []corev1.EnvVar{
					{Name: "PORT", Value: "8080"},
					{Name: "TESTAPP_LISTEN_HOST", Value: "0.0.0.0"},
					{Name: "GREETING", Value: "from a pod"},
				},
				Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
					PeriodSeconds: 1,
				},
			}},
		},
	}
	created, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Pods("default").Delete(context.Background(), created.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	})

	w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", created.Name).String(),
		ResourceVersion: created.ResourceVersion,
	})
	if err != nil {
		t.Fatalf("watch pod: %v", err)
	}
	defer w.Stop()
	var ready *corev1.Pod
	for ready == nil {
		select {
		case <-ctx.Done():
			t.Fatalf("pod %s not Running and Ready in time", created.Name)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("pod watch closed")
			}
			if ev.Type == watch.Error {
				t.Fatalf("pod watch: %v", apierrors.FromObject(ev.Object))
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
				t.Fatalf("pod ended: %s %+v", p.Status.Phase, p.Status.ContainerStatuses)
			}
			if p.Status.Phase == corev1.PodRunning && podReady(p) && p.Status.PodIP != "" {
				ready = p
			}
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + ready.Status.PodIP + ":8080/env/GREETING")
	if err != nil {
		t.Fatalf("GET from the pod IP %s: %v", ready.Status.PodIP, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "from a pod" {
		t.Fatalf("pod answered %d %q, want 200 %q", resp.StatusCode, body, "from a pod")
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
