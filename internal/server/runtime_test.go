package server

import (
	"context"
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
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store/bolt"
)

func TestNewDrivers(t *testing.T) {
	tests := []struct {
		name       string
		runtime    string
		dockerHost string
		want       []string // runtimes with a driver; nil: an error
	}{
		{name: "default", want: []string{"docker", "process"}},
		{name: "docker by default", runtime: "docker", want: []string{"docker", "process"}},
		{name: "unknown", runtime: "kubernetes"},
		{name: "docker unusable", dockerHost: "not a url", want: []string{"process"}},
		{name: "docker unusable and the default", runtime: "docker", dockerHost: "not a url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.dockerHost != "" {
				t.Setenv("DOCKER_HOST", tt.dockerHost)
			}
			drivers, err := newDrivers(Config{Runtime: tt.runtime, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
			if tt.want == nil {
				if err == nil {
					t.Fatalf("no error, drivers %v", drivers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for name := range drivers {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("drivers for %v, want %v", got, tt.want)
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
