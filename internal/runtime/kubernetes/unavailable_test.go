package kubernetes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// TestUnavailable needs no cluster: without any configuration New fails
// at once, and with an API server that is down the driver is made and
// every call that needs the pods says runtime.ErrUnavailable within
// moments, so that a server whose cluster is away starts and runs its
// other runtimes' tasks undelayed.
func TestUnavailable(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod
	if _, err := kubernetes.New(kubernetes.Config{}); !errors.Is(err, kubernetes.ErrNoConfig) {
		t.Errorf("New without a kubeconfig, outside a pod = %v, want ErrNoConfig", err)
	}

	kubeconfig := kubetest.DownKubeconfig(t)
	d, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubeconfig, Logger: runtimetest.Logger(t)})
	if err != nil {
		t.Fatalf("New with an API server that is down: %v", err)
	}
	defer func() { _ = d.Close() }()
	ctx := context.Background()
	spec := runtime.TaskSpec{ID: "t", Containers: []runtime.ContainerSpec{{Name: "main", Image: "x:1", Essential: true}}}
	calls := map[string]func() error{
		"List":    func() error { _, err := d.List(ctx); return err },
		"Inspect": func() error { _, err := d.Inspect(ctx, "t"); return err },
		"Start":   func() error { _, err := d.Start(ctx, spec); return err },
		"Stop":    func() error { return d.Stop(ctx, "t") },
	}
	for name, call := range calls {
		start := time.Now()
		if err := call(); !errors.Is(err, runtime.ErrUnavailable) {
			t.Errorf("%s = %v, want ErrUnavailable", name, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s took %v", name, took)
		}
	}
	// Watch waits, without failing, until its context ends.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := d.Watch(wctx, func(string) {}); err != nil {
		t.Errorf("Watch = %v, want nil once its context ended", err)
	}
}
