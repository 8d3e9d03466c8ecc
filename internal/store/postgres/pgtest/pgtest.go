// Package pgtest runs a throwaway PostgreSQL server for tests: Debian's
// postgresql binaries, a cluster made by initdb in a temporary
// directory, reached over a Unix socket in that directory (no TCP port
// to collide on), started on first use and stopped by Main. Tests get a
// fresh database each from NewDatabase.
//
// Without the binaries, tests skip, or fail under CI (CI set), as the
// Docker runtime's tests do without a daemon: .ci/run installs them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// binGlob is where Debian's postgresql packages install the server's
// binaries, one directory per major version.
const binGlob = "/usr/lib/postgresql/*/bin"

// port only names the socket file (.s.PGSQL.5432): the server listens on
// no TCP port.
const port = 5432

// Server is a running test server.
type Server struct {
	dir  string // the temporary directory: data/, the socket, the log
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	err  error         // cmd's exit, once done is closed
	n    atomic.Int64  // databases made
}

var (
	once    sync.Once
	running *Server
	failed  error
)

// Main runs the package's tests, then stops the server if one was
// started, and returns m.Run's exit code: call it from TestMain as
// os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if running != nil {
		if err := running.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// NewDatabase returns the URL of a new, empty database on the package's
// server, starting the server on first use. Without PostgreSQL it skips
// tb, or fails it under CI.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { running, failed = Start() })
	unavailable(tb, failed)
	u, err := running.CreateDatabase(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// StartServer starts a server of tb's own, stopped when tb ends, for
// tests in packages whose TestMain does not call Main. Without
// PostgreSQL it skips tb, or fails it under CI.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	unavailable(tb, err)
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// unavailable ends tb when err says the server could not start: a
// failure under CI, which installs PostgreSQL, and a skip elsewhere.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("PostgreSQL test server: %v", err)
	}
	tb.Skipf("PostgreSQL test server: %v", err)
}

// Start initializes a cluster in a new temporary directory and starts a
// server on it. Run as root, it runs initdb and the server as the
// postgres user, since PostgreSQL refuses to run as root.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	// As root, under /tmp: the postgres user must reach the directory,
	// which a root-only $TMPDIR would not let it.
	base := ""
	if os.Geteuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "cutover-pgtest-")
	if err != nil {
		return nil, err
	}
	cred, err := credential(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	// Durability settings stay the defaults (fsync, synchronous_commit):
	// the benchmarks measure a real commit.
	s := &Server{dir: dir, done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-k", dir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=", "-c", "max_connections=200")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// A test binary killed (by -timeout, say) takes its server down:
	// SIGQUIT, an immediate shutdown, when the process dies. Pdeathsig
	// follows the thread that started the server, so that thread is kept
	// until the server exits.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// findBin returns the directory of the newest installed major version's
// binaries.
func findBin() (string, error) {
	dirs, _ := filepath.Glob(binGlob)
	dirs = slices.DeleteFunc(dirs, func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "postgres"))
		return err != nil
	})
	if len(dirs) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries in %s: install Debian's postgresql package (apt-get install postgresql)", binGlob)
	}
	major := func(d string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return major(a) - major(b) })
	return dirs[len(dirs)-1], nil
}

// credential returns who the server runs as: nil (this process's user)
// unless that is root, then the postgres user, who is given dir.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs another user to run as: %w (Debian's postgresql package creates the postgres user)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// waitReady waits until the server accepts connections.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-s.done:
			return fmt.Errorf("postgres exited (%v); its log ends:\n%s", s.err, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections in %s: %v; its log ends:\n%s", timeout, err, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL returns the URL of database db on the server.
func (s *Server) URL(db string) string {
	q := url.Values{"host": {s.dir}, "port": {strconv.Itoa(port)}}
	return "postgres://postgres@/" + url.PathEscape(db) + "?" + q.Encode()
}

// CreateDatabase creates a new, empty database and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("test_%d", s.n.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// Stop shuts the server down (a fast shutdown: SIGINT) and removes its
// directory.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.dir)
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return errors.New("postgres did not shut down in 30s: killed")
	}
	return nil
}

// logTail returns the end of the server's log.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
