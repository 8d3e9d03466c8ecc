package e2e

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/cutover/cutover/internal/runtime/docker/dockertest"
	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
)

// podNet is the test cluster's pod network (tools/kube): the host reaches
// it, so the load balancer targets pods there directly.
var podNet = netip.MustParsePrefix("10.217.0.0/24")

// servicePods lists the pods of the server's kubernetes runtime that run
// tasks of service web and have every label of match ("key=value"), by
// name.
func servicePods(t *testing.T, cs k8s.Interface, s *server, match ...string) map[string]corev1.Pod {
	t.Helper()
	sel := append([]string{kubernetes.LabelInstance + "=" + s.dockerNamespace(), labelService + "=web"}, match...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: strings.Join(sel, ",")})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	pods := map[string]corev1.Pod{}
	for _, p := range list.Items {
		pods[p.Name] = p
	}
	return pods
}

// serviceRevisions lists the revision objects (ControllerRevisions) of
// service web of the server's kubernetes runtime.
func serviceRevisions(t *testing.T, cs k8s.Interface, s *server) []appsv1.ControllerRevision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cs.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{
		LabelSelector: kubernetes.LabelInstance + "=" + s.dockerNamespace() + "," + kubernetes.LabelService + "=web"})
	if err != nil {
		t.Fatalf("list revision objects: %v", err)
	}
	return list.Items
}

// ownedByOne reports whether every pod is owned by rev, and only by it.
func ownedByOne(pods map[string]corev1.Pod, rev appsv1.ControllerRevision) bool {
	for _, p := range pods {
		if len(p.OwnerReferences) != 1 || p.OwnerReferences[0].UID != rev.UID || p.Labels[kubernetes.LabelRevision] != rev.Labels[kubernetes.LabelRevision] {
			return false
		}
	}
	return true
}

// removePods is the kubernetes runtime's safety net, as removeContainers
// is Docker's: it deletes every pod of the server's instance at once,
// finalizer and all.
func removePods(t *testing.T, cs k8s.Interface, s *server) {
	instance := s.dockerNamespace()
	if instance == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pods := cs.CoreV1().Pods("default")
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelInstance + "=" + instance})
	if err != nil {
		t.Errorf("cleanup: list the pods of %s: %v", instance, err)
		return
	}
	for _, p := range list.Items {
		_, _ = pods.Patch(ctx, p.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		_ = pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	}
	_ = cs.AppsV1().ControllerRevisions("default").DeleteCollection(ctx, metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: kubernetes.LabelInstance + "=" + instance})
}

// TestKubernetesBlueGreenWithHooks deploys a BLUE_GREEN service of two
// containers per task (web, and a sidecar waiting for web to be healthy)
// on the kubernetes runtime of a real cluster, behind the built-in load
// balancer, which targets the pods at their pod IPs. Under production
// load it updates the service with a URL lifecycle hook that holds the
// deployment before the production traffic shift: meanwhile the test
// listener answers the new version and production the old one; the
// control plane is killed and restarted there, and the new one adopts
// the pods (none is replaced) and calls the hook again. Released, the
// deployment completes without a failed request, production answers the
// new version, and the blue pods are gone.
func TestKubernetesBlueGreenWithHooks(t *testing.T) {
	kubeconfig := kubetest.Cluster(t)
	image := kubetest.App(t)
	cs := kubetest.Client(t)
	if kubetest.AppPath != dockertest.AppPath {
		t.Fatalf("dockerTaskDef runs the test app at %s, the kubernetes image has it at %s", dockertest.AppPath, kubetest.AppPath)
	}

	const secret = "e2e-kubernetes-secret"
	hook := &stepHook{secret: []byte(secret)}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "signingSecret: %q\n", secret), 0o644); err != nil {
		t.Fatal(err)
	}
	// Registered before the server's own cleanup, this runs after it has
	// been killed, so nothing starts pods again.
	var s *server
	t.Cleanup(func() {
		if s != nil {
			removePods(t, cs, s)
		}
	})
	s = startServer(t, "--config", cfg, "--kubeconfig", kubeconfig)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo", "--tags", "key=cutover:runtime,value=kubernetes")

	prod, test := imageService(t, s, image)
	// Each task is a pod, and its web port is bound at the pod's IP.
	v1Pods := servicePods(t, cs, s, labelTDRev+"=1")
	if len(v1Pods) != 2 {
		t.Fatalf("v1 runs in pods %v, want two", slices.Sorted(maps.Keys(v1Pods)))
	}
	// The service revision is a ControllerRevision owning its pods.
	blue := serviceRevisions(t, cs, s)
	if len(blue) != 1 || !ownedByOne(v1Pods, blue[0]) {
		t.Fatalf("v1's revision objects %+v, want one, owning v1's pods", blue)
	}
	tasks := s.mustAWS("ecs", "describe-tasks", "--cluster", "demo", "--tasks",
		path(s.mustAWS("ecs", "list-tasks", "--cluster", "demo", "--service-name", "web"), "taskArns", 0).(string))
	for _, c := range path(tasks, "tasks", 0, "containers").([]any) {
		if path(c, "name") != "web" {
			continue
		}
		ip, err := netip.ParseAddr(fmt.Sprint(path(c, "networkBindings", 0, "bindIP")))
		if err != nil || !podNet.Contains(ip) || path(c, "networkBindings", 0, "hostPort") != 8080.0 {
			t.Errorf("web's network bindings %v, want a pod IP in %s and host port 8080", path(c, "networkBindings"), podNet)
		}
	}

	// v2, with a URL hook that holds the deployment before production
	// moves.
	hook.setHold(func(ev map[string]any) bool { return ev["lifecycleStage"] == "PRE_PRODUCTION_TRAFFIC_SHIFT" })
	stop := loadPhase(t, prod)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", dockerTaskDef(t, "v2", image))
	arn, _ := updateService(t, s, "web:2", fmt.Sprintf(`{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0,
		"lifecycleHooks":[{"hookTargetArn":%q,"lifecycleStages":["POST_TEST_TRAFFIC_SHIFT","PRE_PRODUCTION_TRAFFIC_SHIFT"]}]}`, hookSrv.URL+"/hook"))
	held := func() int {
		calls, _ := hook.calls()
		n := 0
		for _, ev := range calls {
			if ev["lifecycleStage"] == "PRE_PRODUCTION_TRAFFIC_SHIFT" {
				n++
			}
		}
		return n
	}
	eventually(t, 120*time.Second, "the hook called before the production traffic shift", func() bool {
		if st, _ := describeDeployment(t, s, arn)["status"].(string); ended(st) {
			t.Fatalf("deployment %s ended %s before its hook", arn, st)
		}
		return held() > 0
	})
	if got := sample(test, 10); got["v2"] != 10 {
		t.Errorf("while the hook holds, the test listener answers %v, want v2 only", got)
	}
	if got := sample(prod, 10); got["v1"] != 10 {
		t.Errorf("while the hook holds, production answers %v, want v1 only", got)
	}

	// A new control plane adopts the pods: it replaces none, and carries
	// on with the deployment where the old one was.
	before := servicePods(t, cs, s)
	if len(before) != 4 {
		t.Fatalf("while the hook holds, pods %v run, want v1's two and v2's two", slices.Sorted(maps.Keys(before)))
	}
	calls := held()
	s.kill9()
	s.start()
	eventually(t, 60*time.Second, "the restarted server calling the hook again", func() bool { return held() > calls })
	after := servicePods(t, cs, s)
	for name, p := range before {
		if a, ok := after[name]; !ok || a.UID != p.UID || a.DeletionTimestamp != nil {
			t.Errorf("pod %s was not adopted as it was: before %s, after %v", name, p.UID, a.UID)
		}
	}
	if len(after) != len(before) {
		t.Errorf("after the restart pods %v run, want those of before %v", slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}

	hook.setHold(nil)
	untilStatus(t, s, arn, "SUCCESSFUL", 120*time.Second)
	checkLoad(t, "during the update to v2", stop(), "v1", "v2")
	if got := sample(prod, 10); got["v2"] != 10 {
		t.Errorf("after the deployment production answers %v, want v2 only", got)
	}
	stages := map[string]bool{}
	evs, bad := hook.calls()
	for _, ev := range evs {
		stages[fmt.Sprint(ev["lifecycleStage"])] = true
	}
	if len(bad) > 0 || !stages["POST_TEST_TRAFFIC_SHIFT"] || !stages["PRE_PRODUCTION_TRAFFIC_SHIFT"] {
		t.Errorf("the hook was called at %v (bad requests %v), want POST_TEST_TRAFFIC_SHIFT and PRE_PRODUCTION_TRAFFIC_SHIFT", stages, bad)
	}

	// The blue pods are gone, finalizers lifted; v2's two run.
	eventually(t, 60*time.Second, "no pod of v1 left", func() bool { return len(servicePods(t, cs, s, labelTDRev+"=1")) == 0 })
	v2Pods := servicePods(t, cs, s, labelTDRev+"=2")
	if len(v2Pods) != 2 {
		t.Errorf("v2 runs in pods %v, want two", slices.Sorted(maps.Keys(v2Pods)))
	}
	// The blue revision's object went with its last pod; the green one's
	// owns v2's pods.
	var green []appsv1.ControllerRevision
	eventually(t, 10*time.Second, "only one revision object left", func() bool {
		green = serviceRevisions(t, cs, s)
		return len(green) == 1
	})
	if len(green) != 1 || green[0].UID == blue[0].UID || !ownedByOne(v2Pods, green[0]) {
		t.Errorf("after the deployment revision objects %+v, want only v2's (not v1's %s), owning v2's pods", green, blue[0].Name)
	}
}
