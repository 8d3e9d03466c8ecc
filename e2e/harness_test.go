// Package e2e drives the real cutover binary with the real aws CLI and
// real HTTP traffic. Tests here build the binary once, start servers on
// free ports with their own data directories, and leave no process
// behind.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/kubernetes/kubetest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/cutover once for the whole package.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cutover-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cutover")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/cutover").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := kubetest.Main(m) // m.Run, then stops a Kubernetes test cluster this process started
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// server is one cutover server process.
type server struct {
	t       *testing.T
	bin     string
	dataDir string
	addr    string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	// args are extra flags of every start, e.g. --config FILE.
	args []string
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer starts a server on a fresh data directory, with extra
// flags args if any; restart starts it again on the same one.
func startServer(t *testing.T, args ...string) *server {
	s := &server{t: t, bin: binary(t), dataDir: t.TempDir(), addr: freeAddr(t), args: args}
	s.start()
	t.Cleanup(func() {
		s.kill() // first: it would restart the load balancer
		s.stopAllTasks()
		s.removeContainers()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log)
		}
	})
	return s
}

func (s *server) start() {
	s.t.Helper()
	s.log = &bytes.Buffer{}
	s.cmd = exec.Command(s.bin, append([]string{"server", "--listen", s.addr, "--data-dir", s.dataDir, "--log-level", "debug"}, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("server did not become healthy:\n%s", s.log)
}

func (s *server) url() string { return "http://" + s.addr }

// kill9 kills the server process with SIGKILL, as a crash would.
func (s *server) kill9() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
}

// kill stops the server gracefully.
func (s *server) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// stopAllTasks is the safety net: it kills the load balancer process
// and every process group recorded by the process runtime under the data
// directory, so that a test leaves nothing running.
func (s *server) stopAllTasks() {
	exec.Command("pkill", "-KILL", "-f", "lb --dir "+filepath.Join(s.dataDir, "lb")).Run()
	matches, _ := filepath.Glob(filepath.Join(s.dataDir, "runtime", "tasks", "*", "state.json"))
	for _, f := range matches {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, pid := range pidsIn(b) {
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// dockerNamespace returns the namespace of the server's docker runtime,
// which labels its containers io.cutover.driver=<namespace>: "cutover-"
// and the data directory's instance ID (server.InstanceIDFile). It is
// empty before the server made one.
func (s *server) dockerNamespace() string {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "instance-id"))
	if err != nil {
		return ""
	}
	return "cutover-" + strings.TrimSpace(string(b))
}

// removeContainers is the docker runtime's safety net: it force-removes
// every container of the server's namespace, when a Docker daemon
// answers.
func (s *server) removeContainers() {
	ns := s.dockerNamespace()
	if ns == "" {
		return
	}
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", docker.LabelDriver+"="+ns))})
	if err != nil {
		if !client.IsErrConnectionFailed(err) {
			s.t.Errorf("cleanup: list the containers of %s: %v", ns, err)
		}
		return
	}
	for _, c := range list {
		err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			s.t.Errorf("cleanup: remove container %v: %v", c.Names, err)
		}
	}
}

// pidsIn finds every "pid" number in a JSON document.
func pidsIn(b []byte) []int {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	var pids []int
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if n, ok := e.(float64); ok && strings.Contains(strings.ToLower(k), "pid") && n > 1 {
					pids = append(pids, int(n))
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return pids
}

// awsErr is a failed aws CLI call.
type awsErr struct {
	code   int
	stderr string
}

func (e *awsErr) Error() string { return fmt.Sprintf("aws exited %d: %s", e.code, e.stderr) }

// aws runs the real aws CLI against the server and decodes its JSON
// output.
func (s *server) aws(args ...string) (map[string]any, error) {
	return s.awsWith(awsOptions{}, args...)
}

// awsOptions change how awsWith runs the aws CLI.
type awsOptions struct {
	// caBundle, when set, makes the CLI call the API over HTTPS and
	// trust this CA bundle.
	caBundle string
	// key and secret are the access key to sign with (default: a key
	// the server does not check without --access-keys).
	key, secret string
}

// awsWith is aws with options.
func (s *server) awsWith(o awsOptions, args ...string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	endpoint := []string{"--endpoint-url", s.url()}
	if o.caBundle != "" {
		endpoint = []string{"--endpoint-url", "https://" + s.addr, "--ca-bundle", o.caBundle}
	}
	if o.key == "" {
		o.key, o.secret = "AKIDEXAMPLE", "secret"
	}
	cmd := exec.CommandContext(ctx, "aws", append(append(endpoint, "--output", "json"), args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+o.key, "AWS_SECRET_ACCESS_KEY="+o.secret, "AWS_DEFAULT_REGION=us-east-1",
		"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, &awsErr{code: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
	}
	out := map[string]any{}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			return nil, fmt.Errorf("aws %v: output %q: %w", args, stdout.String(), err)
		}
	}
	return out, nil
}

// mustAWS is aws that fails the test on error.
func (s *server) mustAWS(args ...string) map[string]any {
	s.t.Helper()
	out, err := s.aws(args...)
	if err != nil {
		s.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
}

// get returns the body of a GET, or the error.
func get(url string) (string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return b.String(), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b.String(), nil
}

// path digs into decoded JSON: path(v, "services", 0, "status").
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
