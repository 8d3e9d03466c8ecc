package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/cutover/cutover/internal/runtime/kubernetes"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
)

// inClusterManifest is the example of docs/kubernetes.md.
const inClusterManifest = "../examples/kubernetes/cutover.yaml"

// applyInCluster creates the objects of the example manifest in namespace
// ns, with what the test cluster lacks made up for: the cutover image
// given, an emptyDir for the data volume (no storage provisioner), and
// the API server's own address for the in-cluster configuration (no
// kube-proxy, so the kubernetes Service's IP leads nowhere). Every other
// line is the manifest's.
func applyInCluster(t *testing.T, cs k8s.Interface, ns, image, apiServer string) {
	t.Helper()
	f, err := os.Open(inClusterManifest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	host, port, err := net.SplitHostPort(apiServer)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := yaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", inClusterManifest, err)
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decode %s: %v", inClusterManifest, err)
		}
		if m, ok := obj.(metav1.Object); ok && m.GetNamespace() != "" {
			m.SetNamespace(ns)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			o.Name = ns
			_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ServiceAccount:
			_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = cs.RbacV1().Roles(ns).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			for i := range o.Subjects {
				o.Subjects[i].Namespace = ns
			}
			_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.PersistentVolumeClaim:
			continue // the data volume is an emptyDir here
		case *appsv1.Deployment:
			spec := &o.Spec.Template.Spec
			c := &spec.Containers[0]
			c.Image = image
			c.ImagePullPolicy = corev1.PullNever
			for i, a := range c.Args {
				if strings.HasPrefix(a, "--kube-namespace=") {
					c.Args[i] = "--kube-namespace=" + ns
				}
			}
			c.Env = append(c.Env, corev1.EnvVar{Name: "KUBERNETES_SERVICE_HOST", Value: host}, corev1.EnvVar{Name: "KUBERNETES_SERVICE_PORT", Value: port})
			for i := range spec.Volumes {
				if spec.Volumes[i].PersistentVolumeClaim != nil {
					spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
				}
			}
			_, err = cs.AppsV1().Deployments(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("%s: a %T the test does not create", inClusterManifest, obj)
		}
		if err != nil {
			t.Fatalf("create %T from %s: %v", obj, inClusterManifest, err)
		}
	}
}

// deleteNamespace deletes what the in-cluster test made: the server
// first, then the tasks' pods (their finalizer lifted), then the rest.
func deleteNamespace(t *testing.T, cs k8s.Interface, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	zero := int64(0)
	_ = cs.AppsV1().Deployments(ns).Delete(ctx, "cutover", metav1.DeleteOptions{GracePeriodSeconds: &zero})
	pods := cs.CoreV1().Pods(ns)
	list, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Errorf("cleanup: list the pods of %s: %v", ns, err)
	}
	for _, p := range list.Items {
		_, _ = pods.Patch(ctx, p.Name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
		_ = pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Errorf("cleanup: delete namespace %s: %v", ns, err)
	}
}

// TestKubernetesInCluster runs the control plane as docs/kubernetes.md
// says: the example manifest's Deployment, with its ServiceAccount and
// the Role's rules alone, the in-cluster configuration, the kubernetes
// runtime by default and the load balancer listening on the pod's
// address. Through it, a service behind the load balancer runs as pods
// in the namespace and answers on the listener, its log is read
// (pods/log), and deleted it leaves no pod.
func TestKubernetesInCluster(t *testing.T) {
	kubeconfig := kubetest.Cluster(t)
	appImage := kubetest.App(t)
	cs := kubetest.Client(t)
	raw, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	apiURL, err := url.Parse(raw.Clusters[raw.Contexts[raw.CurrentContext].Cluster].Server)
	if err != nil {
		t.Fatal(err)
	}

	// The cutover binary, static, alone in an image.
	bin := filepath.Join(t.TempDir(), "cutover")
	build := exec.Command("go", "build", "-o", bin, "../cmd/cutover")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const image = "cutover.local/cutover:e2e"
	kubetest.ImportImage(t, image, bin, "/cutover")

	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "cutover-e2e-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { deleteNamespace(t, cs, ns) })
	applyInCluster(t, cs, ns, image, apiURL.Host)
	ctx := context.Background()
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cutover-access-keys"},
		StringData: map[string]string{"access-keys": aliceKey + " " + aliceSecret + " alice\n"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	serverLog := func() string {
		rc, err := cs.CoreV1().Pods(ns).GetLogs(serverPod(t, cs, ns).Name, &corev1.PodLogOptions{}).Stream(ctx)
		if err != nil {
			return err.Error()
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	t.Cleanup(func() {
		if t.Failed() {
			p := serverPod(t, cs, ns)
			t.Logf("the server's pod: phase %s, conditions %+v, containers %+v; its log:\n%s",
				p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses, serverLog())
		}
	})

	var ip string
	eventually(t, 120*time.Second, "the cutover pod ready", func() bool {
		p := serverPod(t, cs, ns)
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ip = p.Status.PodIP
			}
		}
		return ip != ""
	})
	s := &server{t: t, addr: net.JoinHostPort(ip, "7400")}
	aws := func(args ...string) map[string]any {
		t.Helper()
		out, err := s.awsWith(awsOptions{key: aliceKey, secret: aliceSecret}, args...)
		if err != nil {
			t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
		}
		return out
	}

	aws("ecs", "create-cluster", "--cluster-name", "demo") // on the default runtime: kubernetes
	lb := path(aws("elbv2", "create-load-balancer", "--name", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	tg := path(aws("elbv2", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", "80",
		"--target-type", "ip", "--health-check-path", "/healthz", "--health-check-interval-seconds", "5",
		"--health-check-timeout-seconds", "4", "--healthy-threshold-count", "2"), "TargetGroups", 0, "TargetGroupArn").(string)
	aws("elbv2", "modify-target-group-attributes", "--target-group-arn", tg, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=2")
	aws("elbv2", "create-listener", "--load-balancer-arn", lb, "--protocol", "HTTP", "--port", "8080",
		"--default-actions", fmt.Sprintf(`[{"Type":"forward","TargetGroupArn":%q}]`, tg))
	aws("ecs", "register-task-definition", "--cli-input-json", dockerTaskDef(t, "v1", appImage))
	aws("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "1", "--health-check-grace-period-seconds", "60",
		"--load-balancers", fmt.Sprintf(`[{"targetGroupArn":%q,"containerName":"web","containerPort":8080}]`, tg))

	// The listener, on the cutover pod's address, forwards to the task's
	// pod.
	listener := "http://" + net.JoinHostPort(ip, "8080") + "/env/VERSION"
	eventually(t, 120*time.Second, "v1 answering on the listener", func() bool {
		body, err := get(listener)
		return err == nil && body == "v1"
	})
	tasks := taskPods(t, cs, ns)
	if len(tasks) != 1 {
		t.Fatalf("task pods %v, want one", tasks)
	}
	// The Role lets the server make the service revision's object.
	if revs := revisionObjects(t, cs, ns); len(revs) != 1 {
		t.Errorf("revision objects %v, want web's one", revs)
	}

	// The task's log, through the server (pods/log).
	task := path(aws("ecs", "list-tasks", "--cluster", "demo", "--service-name", "web"), "taskArns", 0).(string)
	logs := exec.Command(binary(t), "logs", task, "--cluster", "demo", "--container", "web", "--endpoint-url", s.url())
	logs.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+aliceKey, "AWS_SECRET_ACCESS_KEY="+aliceSecret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	if out, err := logs.CombinedOutput(); err != nil || !strings.Contains(string(out), "listening on") {
		t.Errorf("cutover logs: %v\n%s", err, out)
	}

	// Deleted, the service leaves no pod (delete, then patch away the
	// finalizer).
	aws("ecs", "update-service", "--cluster", "demo", "--service", "web", "--desired-count", "0")
	aws("ecs", "delete-service", "--cluster", "demo", "--service", "web")
	eventually(t, 60*time.Second, "no task pod left", func() bool { return len(taskPods(t, cs, ns)) == 0 })
	eventually(t, 10*time.Second, "no revision object left", func() bool { return len(revisionObjects(t, cs, ns)) == 0 })
	if l := serverLog(); strings.Contains(l, "forbidden") {
		t.Errorf("the server was refused something:\n%s", l)
	}
}

// revisionObjects returns the names of service web's revision objects
// (ControllerRevisions) in ns.
func revisionObjects(t *testing.T, cs k8s.Interface, ns string) []string {
	t.Helper()
	list, err := cs.AppsV1().ControllerRevisions(ns).List(context.Background(), metav1.ListOptions{LabelSelector: kubernetes.LabelService + "=web"})
	if err != nil {
		t.Fatalf("list revision objects: %v", err)
	}
	var names []string
	for _, r := range list.Items {
		names = append(names, r.Name)
	}
	return names
}

// serverPod returns the cutover server's pod in ns (the newest).
func serverPod(t *testing.T, cs k8s.Interface, ns string) corev1.Pod {
	t.Helper()
	list, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=cutover"})
	if err != nil {
		t.Fatalf("list the server's pods: %v", err)
	}
	var newest corev1.Pod
	for _, p := range list.Items {
		if p.CreationTimestamp.After(newest.CreationTimestamp.Time) {
			newest = p
		}
	}
	return newest
}

// taskPods lists the names of the pods of ns that are not the server's.
func taskPods(t *testing.T, cs k8s.Interface, ns string) []string {
	t.Helper()
	list, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name!=cutover"})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}
