package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/docker/dockertest"
)

// Labels the server puts on the containers of a service's tasks.
const (
	labelService = "io.cutover.service"
	labelTDRev   = "com.amazonaws.ecs.task-definition-version"
)

// dockerTaskDef writes the task definition "web" of the docker test:
// the test app's image, a container "web" serving HTTP on port 8080 with
// VERSION set and a health check, and a sidecar that starts once web is
// healthy.
func dockerTaskDef(t *testing.T, version, image string) string {
	t.Helper()
	app := func(args ...string) []string { return append([]string{dockertest.AppPath}, args...) }
	td := map[string]any{
		"family": "web",
		"containerDefinitions": []any{
			map[string]any{
				"name": "web", "image": image, "essential": true,
				"entryPoint": app(), "command": []string{"serve"},
				"environment": []any{
					map[string]string{"name": "VERSION", "value": version},
					map[string]string{"name": "TESTAPP_LISTEN_HOST", "value": "0.0.0.0"},
				},
				"portMappings": []any{map[string]any{"containerPort": 8080}},
				"healthCheck": map[string]any{
					"command":  append([]string{"CMD"}, app("probe", "/healthz")...),
					"interval": 2, "timeout": 2, "retries": 3,
				},
				"stopTimeout": 5,
			},
			map[string]any{
				"name": "sidecar", "image": image, "essential": true,
				"entryPoint": app(), "command": []string{"sleep"},
				"dependsOn":   []any{map[string]string{"containerName": "web", "condition": "HEALTHY"}},
				"stopTimeout": 5,
			},
		},
	}
	f := filepath.Join(t.TempDir(), "td-docker-"+version+".json")
	b, _ := json.Marshal(td)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + f
}

// imageService creates the blue/green load balancer (checkHealthz) and
// the service web of two tasks running the test app's image at v1 in the
// cluster demo, deployed BLUE_GREEN, and checks that both listeners
// answer v1. It returns the URLs at which the production and test
// listeners answer the app's VERSION.
func imageService(t *testing.T, s *server, image string) (prod, test string) {
	t.Helper()
	lbs, prod, test := blueGreenLB(t, s)
	checkHealthz(t, s)
	prod, test = prod+"env/VERSION", test+"env/VERSION"
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", dockerTaskDef(t, "v1", image))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", lbs, "--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`,
		"--health-check-grace-period-seconds", "60")
	untilStatus(t, s, path(svc, "service", "currentServiceDeployment").(string), "SUCCESSFUL", 120*time.Second)
	for _, u := range []string{prod, test} {
		eventually(t, 10*time.Second, u+" answering v1", func() bool { return sample(u, 4)["v1"] == 4 })
	}
	return prod, test
}

// checkHealthz points the health checks of blueGreenLB's target groups
// at /healthz, which the test app's image answers.
func checkHealthz(t *testing.T, s *server) {
	t.Helper()
	for _, name := range []string{"blue", "green"} {
		tg := path(s.mustAWS("elbv2", "describe-target-groups", "--names", name), "TargetGroups", 0, "TargetGroupArn").(string)
		s.mustAWS("elbv2", "modify-target-group", "--target-group-arn", tg, "--health-check-path", "/healthz")
	}
}

// serviceContainers lists the Docker containers of the server's tasks of
// service web that have every label of match ("key=value"), stopped
// ones too when all is set.
func serviceContainers(t *testing.T, cli *client.Client, s *server, all bool, match ...string) []container.Summary {
	t.Helper()
	f := filters.NewArgs(filters.Arg("label", docker.LabelDriver+"="+s.dockerNamespace()), filters.Arg("label", labelService+"=web"))
	for _, m := range match {
		f.Add("label", m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: all, Filters: f})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	return list
}

// byTask groups containers by task ID; each task lists its container
// names sorted, the sandbox as "".
func byTask(list []container.Summary) map[string][]string {
	tasks := map[string][]string{}
	for _, c := range list {
		id := c.Labels[docker.LabelTask]
		tasks[id] = append(tasks[id], c.Labels[docker.LabelContainer])
	}
	for _, names := range tasks {
		slices.Sort(names)
	}
	return tasks
}

// TestDockerBlueGreenSurvivesKill9 deploys a BLUE_GREEN service of two
// containers per task on the docker runtime behind the load balancer,
// under production load, and kills the control plane twice during the
// update: while a green task is half-started (the sidecar waits for web
// to be healthy) and while a pause holds the deployment right after the
// production traffic shift. Nothing fails, the deployment succeeds, and
// Docker runs exactly the service's tasks, then none once it is deleted.
func TestDockerBlueGreenSurvivesKill9(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.AppImage(t, cli)

	// The harness removes the containers of the server's namespace,
	// which is its own, when the test ends.
	s := startServer(t)
	if s.dockerNamespace() == "" {
		t.Fatal("the server made no namespace for its docker runtime")
	}
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo", "--tags", "key=cutover:runtime,value=docker")

	prod, _ := imageService(t, s, image)

	stop := loadPhase(t, prod)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", dockerTaskDef(t, "v2", image))
	arn, _ := updateService(t, s, "web:2", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0,
		"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_PRODUCTION_TRAFFIC_SHIFT"]}]}`)

	// First kill: as soon as a green task has containers, while it is
	// half-started (its sidecar waits a health check interval or more
	// for web to be healthy).
	eventually(t, 60*time.Second, "a v2 task in Docker", func() bool {
		return len(serviceContainers(t, cli, s, true, labelTDRev+"=2")) > 0
	})
	s.kill9()
	s.start()

	// Second kill: while the pause holds the deployment with production
	// on green and blue still running.
	var hookID string
	eventually(t, 90*time.Second, "the pause after the production traffic shift", func() bool {
		d := describeDeployment(t, s, arn)
		if st, _ := d["status"].(string); ended(st) {
			t.Fatalf("deployment %s ended %s (%v) before its pause", arn, st, d["statusReason"])
		}
		hookID = ""
		if d["lifecycleStage"] == "POST_PRODUCTION_TRAFFIC_SHIFT" && path(d, "lifecycleHookDetails", 0, "status") == "AWAITING_ACTION" {
			hookID, _ = path(d, "lifecycleHookDetails", 0, "hookId").(string)
		}
		return hookID != ""
	})
	if got := sample(prod, 10); got["v2"] != 10 {
		t.Fatalf("after the production traffic shift production answers %v, want v2 only", got)
	}
	s.kill9()
	s.start()
	s.mustAWS("ecs", "continue-service-deployment", "--service-deployment-arn", arn, "--hook-id", hookID, "--action", "CONTINUE")
	untilStatus(t, s, arn, "SUCCESSFUL", 90*time.Second)
	checkLoad(t, "during the update to v2", stop(), "v1", "v2")
	if got := sample(prod, 10); got["v2"] != 10 {
		t.Errorf("after the deployment production answers %v, want v2 only", got)
	}

	// Docker runs the service's desired tasks, and those alone: each a
	// running sandbox, web and sidecar, all of v2.
	listed := s.mustAWS("ecs", "list-tasks", "--cluster", "demo", "--service-name", "web", "--desired-status", "RUNNING")
	var want []string
	for _, a := range path(listed, "taskArns").([]any) {
		want = append(want, a.(string)[strings.LastIndex(a.(string), "/")+1:])
	}
	slices.Sort(want)
	if len(want) != 2 {
		t.Fatalf("the service has tasks %v, want two", want)
	}
	var tasks map[string][]string
	eventually(t, 30*time.Second, "Docker running the service's tasks alone", func() bool {
		tasks = byTask(serviceContainers(t, cli, s, false))
		return slices.Equal(slices.Sorted(maps.Keys(tasks)), want)
	})
	for id, names := range tasks {
		if !slices.Equal(names, []string{"", "sidecar", "web"}) {
			t.Errorf("task %s runs containers %q, want the sandbox, sidecar and web", id, names)
		}
	}
	if v1 := serviceContainers(t, cli, s, false, labelTDRev+"=1"); len(v1) > 0 {
		t.Errorf("%d containers of v1 still run", len(v1))
	}

	// Deleted, the service leaves no container, running or stopped.
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--desired-count", "0")
	s.mustAWS("ecs", "delete-service", "--cluster", "demo", "--service", "web")
	eventually(t, 60*time.Second, "no container of the service left", func() bool {
		return len(serviceContainers(t, cli, s, true)) == 0
	})
}
