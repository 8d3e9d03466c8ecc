package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

func TestNewDrivers(t *testing.T) {
	// A kubeconfig of an API server nobody serves: the kubernetes driver
	// is made all the same, and answers that it is unavailable.
	down := kubetest.DownKubeconfig(t)
	tests := []struct {
		name       string
		runtime    string
		dockerHost string
		kubeconfig string
		want       []string // runtimes with a driver; nil: an error
	}{
		{name: "default", want: []string{"docker", "process"}},
		{name: "docker by default", runtime: "docker", want: []string{"docker", "process"}},
		{name: "unknown", runtime: "lambda"},
		{name: "docker unusable", dockerHost: "not a url", want: []string{"process"}},
		{name: "docker unusable and the default", runtime: "docker", dockerHost: "not a url"},
		{name: "no kubeconfig and kubernetes the default", runtime: "kubernetes"},
		{name: "kubernetes down", kubeconfig: down, want: []string{"docker", "kubernetes", "process"}},
		{name: "kubernetes down and the default", runtime: "kubernetes", kubeconfig: down, want: []string{"docker", "kubernetes", "process"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not in a pod: no in-cluster configuration either.
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			if tt.dockerHost != "" {
				t.Setenv("DOCKER_HOST", tt.dockerHost)
			}
			cfg := Config{Runtime: tt.runtime, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
				Kubernetes: KubernetesConfig{Kubeconfig: tt.kubeconfig}}
			start := time.Now()
			drivers, err := newDrivers(cfg, "test")
			if tt.want == nil {
				if err == nil {
					t.Fatalf("no error, drivers %v", drivers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer closeDrivers(drivers)
			var got []string
			for name := range drivers {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("drivers for %v, want %v", got, tt.want)
			}
			if d := drivers["kubernetes"]; d != nil {
				// The controller lists every runtime's tasks: an API
				// server that is down must not hold it.
				if _, err := d.List(context.Background()); !errors.Is(err, runtime.ErrUnavailable) {
					t.Errorf("List with the API server down = %v, want ErrUnavailable", err)
				}
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("making the drivers and listing took %v", took)
			}
		})
	}
}

// logsOf is a driver whose every container's log is its name.
type logsOf struct {
	runtime.Driver
	name string
}

func (d logsOf) Logs(_ context.Context, _, _ string, _ int64, w io.Writer) error {
	_, err := io.WriteString(w, d.name)
	return err
}

func TestLogsComeFromTheTaskRuntime(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	arns := state.ARNs{Region: "us-east-1", Account: "000000000000"}
	err = state.Update(context.Background(), st, func(tx state.Tx) error {
		for id, rt := range map[string]string{"old": "", "p": "process", "d": "docker", "k": "kubernetes"} {
			tk := &state.Task{ID: id, Runtime: rt}
			tk.ClusterArn, tk.TaskArn, tk.LastStatus = arns.Cluster("c"), arns.Task("c", id), state.TaskRunning
			if err := tx.PutTask(tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := logsHandler(st, map[string]runtime.Driver{"process": logsOf{name: "process"}, "docker": logsOf{name: "docker"}})
	for id, want := range map[string]string{"old": "200 process", "p": "200 process", "d": "200 docker", "k": "404 no logs: the task's runtime kubernetes", "x": "404 task not found"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, LogsPath+"c/"+id+"/app", nil))
		if got := rec.Result().Status[:4] + rec.Body.String(); !strings.HasPrefix(got, want) {
			t.Errorf("logs of task %s: %q, want %q...", id, got, want)
		}
	}
}
