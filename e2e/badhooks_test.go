package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// badHookServer answers hook calls badly, one way per path: /hang never
// answers, /huge answers a reply over the 6 MB limit that would pass if
// it were read whole, /cut closes the connection mid-reply and /html
// answers 500 with an error page.
func badHookServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hang", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-t.Context().Done():
		}
	})
	mux.HandleFunc("POST /huge", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"hookStatus":"SUCCEEDED","padding":"`)
		pad := bytes.Repeat([]byte("x"), 64<<10)
		for range 7 << 20 / len(pad) {
			if _, err := w.Write(pad); err != nil {
				return
			}
		}
		io.WriteString(w, `"}`)
	})
	mux.HandleFunc("POST /cut", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n" + `{"hookStatus":"SUCC`)
		buf.Flush()
	})
	mux.HandleFunc("POST /html", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "<html><head><title>500 Internal Server Error</title></head>\n<body><h1>Internal Server Error</h1></body></html>\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestMisbehavingHooksRollBack deploys v2 of a rolling service four
// times, each with a POST_SCALE_UP URL hook at an endpoint that
// misbehaves differently: each deployment fails its hook cleanly, rolls
// back with a reason that says what went wrong, and v1 serves again.
func TestMisbehavingHooksRollBack(t *testing.T) {
	hooks := badHookServer(t)
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	// A short hook timeout, for the endpoint that never answers.
	if err := os.WriteFile(cfg, []byte("hooks:\n  timeout: 2s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--config", cfg)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", withoutHealthCheck(t, taskDef(t, "v1", "")))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web",
		"--task-definition", "web:1", "--desired-count", "1")
	arn, _ := path(svc, "service", "currentServiceDeployment").(string)
	untilStatus(t, s, arn, "SUCCESSFUL", 90*time.Second)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", withoutHealthCheck(t, taskDef(t, "v2", "")))

	for _, tc := range []struct{ path, reason string }{
		{"/hang", "timed out after 2s"},
		{"/huge", "reply larger than 6 MB"},
		{"/cut", "connection closed before the reply was complete"},
		{"/html", "HTTP 500 Internal Server Error: <html><head><title>500 Internal Server Error</title>"},
	} {
		url := hooks.URL + tc.path
		config, _ := json.Marshal(map[string]any{"lifecycleHooks": []any{map[string]any{
			"hookTargetArn": url, "roleArn": "arn:aws:iam::000000000000:role/hooks", "lifecycleStages": []string{"POST_SCALE_UP"},
		}}})
		start := time.Now()
		v2, _ := updateService(t, s, "web:2", string(config))
		d := untilStatus(t, s, v2, "ROLLBACK_SUCCESSFUL", 90*time.Second)
		reason, _ := d["statusReason"].(string)
		t.Logf("%s: rolled back after %v: %s", tc.path, time.Since(start).Round(time.Second), reason)
		if !strings.Contains(reason, "invoking "+url+": "+tc.reason) {
			t.Errorf("%s: statusReason %q, want it to say %q", tc.path, reason, tc.reason)
		}
		var tasks map[string][2]int
		eventually(t, 30*time.Second, "one v1 task answering after the rollback from "+tc.path, func() bool {
			tasks = runningTasks(t, s)
			return len(tasks) == 1 && allAnswer(t, tasks, "v1")
		})
	}
}

// withoutHealthCheck drops the container health check of the task
// definition file arg names: a task counts as healthy once it runs. The
// hooks are what is tested, and a python health check can take longer
// than its timeout on a busy machine.
func withoutHealthCheck(t *testing.T, arg string) string {
	t.Helper()
	return editTaskDef(t, arg, func(c map[string]any) { delete(c, "healthCheck") })
}
