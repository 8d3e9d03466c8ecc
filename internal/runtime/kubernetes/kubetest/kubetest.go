// Package kubetest gives tests a real single-node Kubernetes (never a fake
// clientset) and images for it, built with the scripts of tools/kube:
// etcd, the control plane and a kubelet at one pinned release on a
// containerd of their own, with pod IPs reachable from the host.
//
// The cluster is started once per test process (or taken from
// CUTOVER_KUBECONFIG when set, as .ci/run does) and stopped by Main when
// this process started it. Without what it needs (root, containerd, runc,
// the CNI plugins, the Go toolchain) the tests that use it are skipped
// with a clear message, except when the CI environment variable is set:
// then they fail, so that CI never passes without running them.
package kubetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// EnvKubeconfig names a kubeconfig of a running cluster to use instead of
// starting one. Its containerd must be the one tools/kube/up.sh starts
// (ImportImage imports there).
const EnvKubeconfig = "CUTOVER_KUBECONFIG"

var cluster struct {
	once  sync.Once
	path  string
	users *os.File // holds a shared lock while this process uses the cluster
	skip  string   // why the cluster cannot be had here
	err   error
}

// stateDir is the cluster's state directory, as tools/kube/env.sh has it.
func stateDir() string {
	if s := os.Getenv("CUTOVER_KUBE_STATE"); s != "" {
		return s
	}
	return "/var/tmp/cutover-kube"
}

// startedMark, in the state directory, says a test process started the
// cluster: the last test process using it stops it. A cluster started by
// hand is left running.
const startedMark = "started-by-kubetest"

// toolsDir is tools/kube of the source tree this package was built from.
func toolsDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "tools", "kube")
}

// missing says what the cluster needs that this machine lacks, or "".
func missing() string {
	if os.Geteuid() != 0 {
		return "not root (the kubelet mounts, makes cgroups and network namespaces)"
	}
	for _, c := range []string{"go", "containerd", "runc", "ctr", "openssl", "curl"} {
		if _, err := exec.LookPath(c); err != nil {
			return c + " not found"
		}
	}
	for _, p := range []string{"bridge", "host-local", "loopback", "portmap", "firewall"} {
		if _, err := os.Stat("/usr/lib/cni/" + p); err != nil {
			return "CNI plugin " + p + " not found (containernetworking-plugins)"
		}
	}
	return ""
}

// Cluster returns the admin kubeconfig of the test cluster, starting the
// cluster on first use in this process (a cold build of its binaries
// takes minutes; later starts reuse them).
func Cluster(t testing.TB) string {
	t.Helper()
	cluster.once.Do(func() {
		if p := os.Getenv(EnvKubeconfig); p != "" {
			cluster.path = p
			return
		}
		if m := missing(); m != "" {
			cluster.skip = m
			return
		}
		// Test processes of several packages may share the cluster: each
		// holds a shared lock on the users file while it runs, and the
		// last one stops the cluster (Main).
		users, err := os.OpenFile(stateDir()+".users", os.O_CREATE|os.O_RDWR, 0o644)
		if err == nil {
			err = syscall.Flock(int(users.Fd()), syscall.LOCK_SH)
		}
		if err != nil {
			cluster.err = fmt.Errorf("lock the cluster's users file: %w", err)
			return
		}
		cluster.users = users
		out, stderr, err := script("up.sh")
		if err != nil {
			cluster.err = err
			return
		}
		cluster.path = strings.TrimSpace(out)
		if !strings.Contains(stderr, "reusing the running cluster") {
			if err := os.WriteFile(filepath.Join(stateDir(), startedMark), nil, 0o644); err != nil {
				cluster.err = err
			}
		}
	})
	if cluster.skip != "" {
		msg := "no Kubernetes test cluster: " + cluster.skip + "; run tools/kube/up.sh as root or set " + EnvKubeconfig
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set: these tests must run)")
		}
		t.Skip(msg)
	}
	if cluster.err != nil {
		t.Fatalf("start the Kubernetes test cluster: %v", cluster.err)
	}
	return cluster.path
}

// Client returns a clientset for the test cluster.
func Client(t testing.TB) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", Cluster(t))
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	return cs
}

// Main runs the tests of a package that uses the cluster and afterwards,
// when no other test process uses it and a test process started it,
// stops it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	users := cluster.users
	if users == nil {
		return code
	}
	defer func() { _ = users.Close() }()
	// Turning the shared lock exclusive succeeds only for the last user.
	if syscall.Flock(int(users.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return code
	}
	if _, err := os.Stat(filepath.Join(stateDir(), startedMark)); err == nil {
		if _, _, err := script("down.sh"); err != nil {
			fmt.Fprintln(os.Stderr, "kubetest: stop the cluster:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// script runs one of tools/kube's scripts and returns its stdout and
// stderr.
func script(name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(filepath.Join(toolsDir(), name), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("%s: %w\n%s", name, err, errOut.String())
	}
	return out.String(), errOut.String(), nil
}

// DownKubeconfig writes a kubeconfig naming an API server that nobody
// serves (127.0.0.1:1) and returns its path: a cluster that is down.
func DownKubeconfig(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	err := os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: down, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: down, context: {cluster: down, user: u}}]
current-context: down
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}
