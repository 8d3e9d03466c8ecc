package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// taskDef writes a task definition for the example web app answering
// "hello from VERSION" and returns its file:// argument. A version whose
// name starts with "bad" never passes its health check; with a gate file,
// the health check passes only once that file exists.
func taskDef(t *testing.T, version, gate string) string {
	t.Helper()
	app, err := filepath.Abs("../examples/app")
	if err != nil {
		t.Fatal(err)
	}
	check := []string{"CMD-SHELL", `python3 -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['PORT'])"`}
	startPeriod := 0
	switch {
	case strings.HasPrefix(version, "bad"):
		check = []string{"CMD", "false"}
	case gate != "":
		// Failing checks inside the start period do not count: the tasks
		// stay in UNKNOWN health, neither healthy nor replaced.
		check[1] = "test -f " + gate + " && " + check[1]
		startPeriod = 300
	}
	td := map[string]any{
		"family": "web",
		"containerDefinitions": []any{map[string]any{
			"name":             "web",
			"image":            "example/web:" + version,
			"essential":        true,
			"workingDirectory": app,
			"entryPoint":       []string{"python3", "server.py"},
			"environment":      []any{map[string]string{"name": "VERSION", "value": version}},
			"portMappings":     []any{map[string]any{"containerPort": 8080}},
			"healthCheck": map[string]any{
				"command":  check,
				"interval": 2, "timeout": 5, "retries": 3, "startPeriod": startPeriod,
			},
			"stopTimeout": 5,
		}},
	}
	f := filepath.Join(t.TempDir(), "td-"+version+".json")
	b, _ := json.Marshal(td)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + f
}

// editTaskDef changes the container of the task definition file that
// arg, a file:// argument from taskDef, names, and returns arg.
func editTaskDef(t *testing.T, arg string, edit func(container map[string]any)) string {
	t.Helper()
	f := strings.TrimPrefix(arg, "file://")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var td map[string]any
	if err := json.Unmarshal(b, &td); err != nil {
		t.Fatal(err)
	}
	edit(path(td, "containerDefinitions", 0).(map[string]any))
	b, _ = json.Marshal(td)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return arg
}

// runningTasks returns host port and pid of each RUNNING task of the
// service, keyed by task ARN.
func runningTasks(t *testing.T, s *server) map[string][2]int {
	t.Helper()
	list := s.mustAWS("ecs", "list-tasks", "--cluster", "demo", "--service-name", "web")
	arns, _ := list["taskArns"].([]any)
	out := map[string][2]int{}
	if len(arns) == 0 {
		return out
	}
	args := []string{"ecs", "describe-tasks", "--cluster", "demo", "--tasks"}
	for _, a := range arns {
		args = append(args, a.(string))
	}
	for _, tk := range s.mustAWS(args...)["tasks"].([]any) {
		if path(tk, "lastStatus") != "RUNNING" {
			continue
		}
		port, _ := path(tk, "containers", 0, "networkBindings", 0, "hostPort").(float64)
		var pid int
		fmt.Sscan(fmt.Sprint(path(tk, "containers", 0, "runtimeId")), &pid)
		out[path(tk, "taskArn").(string)] = [2]int{int(port), pid}
	}
	return out
}

// currentDeployment describes the service's current service deployment.
func currentDeployment(t *testing.T, s *server) map[string]any {
	t.Helper()
	svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	arn, _ := path(svc, "services", 0, "currentServiceDeployment").(string)
	d := s.mustAWS("ecs", "describe-service-deployments", "--service-deployment-arns", arn)
	return path(d, "serviceDeployments", 0).(map[string]any)
}

// allAnswer checks that every running task answers with the version.
func allAnswer(t *testing.T, tasks map[string][2]int, version string) bool {
	for _, tk := range tasks {
		body, err := get(fmt.Sprintf("http://127.0.0.1:%d/", tk[0]))
		if err != nil || strings.TrimSpace(body) != "hello from "+version {
			return false
		}
	}
	return len(tasks) > 0
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

func TestRollingDeploymentSurvivesKill9(t *testing.T) {
	s := startServer(t)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web",
		"--task-definition", "web", "--desired-count", "2")

	eventually(t, 60*time.Second, "v1 deployment SUCCESSFUL", func() bool {
		return currentDeployment(t, s)["status"] == "SUCCESSFUL"
	})
	// The waiter's first check passes at once when the service is stable.
	s.mustAWS("ecs", "wait", "services-stable", "--cluster", "demo", "--services", "web")
	var v1 map[string][2]int
	eventually(t, 30*time.Second, "two v1 tasks answering", func() bool {
		v1 = runningTasks(t, s)
		return len(v1) == 2 && allAnswer(t, v1, "v1")
	})
	for arn := range v1 {
		out, err := exec.Command(s.bin, "logs", "--endpoint", s.url(), "--cluster", "demo", "--container", "web", arn).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "v1 listening on") {
			t.Errorf("cutover logs %s: %v\n%s", arn, err, out)
		}
	}

	// Update to v2 and crash the control plane in the middle: v2 tasks
	// run but cannot pass their health check until the gate file exists,
	// so minimumHealthyPercent keeps every v1 task.
	gate := filepath.Join(t.TempDir(), "v2-healthy")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", gate))
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:2")
	eventually(t, 30*time.Second, "v2 tasks running", func() bool {
		d := currentDeployment(t, s)
		r, _ := path(d, "targetServiceRevision", "runningTaskCount").(float64)
		return d["status"] == "IN_PROGRESS" && r == 2
	})
	beforeCrash := runningTasks(t, s)
	s.kill9()
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for arn, tk := range v1 {
		if !alive(tk[1]) {
			t.Fatalf("task %s (pid %d) died with the control plane", arn, tk[1])
		}
	}
	s.start()

	eventually(t, 90*time.Second, "v2 deployment SUCCESSFUL after restart", func() bool {
		return currentDeployment(t, s)["status"] == "SUCCESSFUL"
	})
	var v2 map[string][2]int
	eventually(t, 30*time.Second, "two v2 tasks answering", func() bool {
		v2 = runningTasks(t, s)
		return len(v2) == 2 && allAnswer(t, v2, "v2")
	})
	for arn := range v2 {
		if _, ok := beforeCrash[arn]; !ok {
			t.Errorf("task %s was started after the restart: the v2 tasks running before the crash were not adopted", arn)
		}
	}
	eventually(t, 30*time.Second, "v1 processes gone", func() bool {
		for _, tk := range v1 {
			if alive(tk[1]) {
				return false
			}
		}
		return true
	})
	d := currentDeployment(t, s)
	if path(d, "lifecycleStage") != "CLEAN_UP" || len(path(d, "sourceServiceRevisions").([]any)) != 1 {
		t.Errorf("deployment after success: %v", d)
	}
	svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if n := len(path(svc, "services", 0, "deployments").([]any)); n != 1 {
		t.Errorf("deployments[] has %d entries, want 1", n)
	}
	deps := s.mustAWS("ecs", "list-service-deployments", "--service", path(svc, "services", 0, "serviceArn").(string))
	if n := len(deps["serviceDeployments"].([]any)); n != 2 {
		t.Errorf("list-service-deployments by service ARN: %d deployments, want 2", n)
	}

	// A version that never gets healthy: roll it back with the CLI.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "bad3", ""))
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:3")
	arn := currentDeployment(t, s)["serviceDeploymentArn"].(string)
	s.mustAWS("ecs", "stop-service-deployment", "--service-deployment-arn", arn, "--stop-type", "ROLLBACK")
	eventually(t, 60*time.Second, "rollback to v2", func() bool {
		return currentDeployment(t, s)["status"] == "ROLLBACK_SUCCESSFUL" && allAnswer(t, runningTasks(t, s), "v2")
	})

	// Delete the service: every task stops.
	s.mustAWS("ecs", "delete-service", "--cluster", "demo", "--service", "web", "--force")
	last := runningTasks(t, s)
	eventually(t, 30*time.Second, "service INACTIVE", func() bool {
		svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
		return path(svc, "services", 0, "status") == "INACTIVE"
	})
	for arn, tk := range last {
		if alive(tk[1]) {
			t.Errorf("task %s (pid %d) still runs after the service was deleted", arn, tk[1])
		}
	}
}
