package server

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/store/postgres"
	"github.com/cutover/cutover/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// candidate is one server's leadership in a test, with what its roles
// did.
type candidate struct {
	l       *leadership
	leading atomic.Bool // its lead role runs
	overlap atomic.Bool // its two roles ran at once
	roles   atomic.Int32
	cancel  context.CancelFunc
	done    chan struct{}
}

// runCandidate runs a leadership on el until stopped.
func runCandidate(t *testing.T, el elector, name string) *candidate {
	t.Helper()
	c := &candidate{l: newLeadership(el, name, "http://"+name, slog.New(slog.DiscardHandler)), done: make(chan struct{})}
	role := func(leader bool) func(context.Context) {
		return func(ctx context.Context) {
			if c.roles.Add(1) > 1 {
				c.overlap.Store(true)
			}
			defer c.roles.Add(-1)
			c.leading.Store(leader)
			<-ctx.Done()
			c.leading.Store(false)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		defer close(c.done)
		c.l.run(ctx, role(true), role(false))
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *candidate) stop() {
	c.cancel()
	<-c.done
}

// eventually fails t unless ok holds within d.
func eventually(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openPostgres(t *testing.T, url string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Of two servers on one store one leads and the other follows; when the
// leader shuts down it hands over at once, and the follower leads.
func TestLeadershipElectsOneAndHandsOver(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a := runCandidate(t, openPostgres(t, url), "a")
	eventually(t, 5*time.Second, "a never led", a.leading.Load)
	b := runCandidate(t, openPostgres(t, url), "b")
	eventually(t, 5*time.Second, "b never followed", func() bool { return b.roles.Load() == 1 })
	if b.leading.Load() || b.l.leader() != "http://a" {
		t.Fatalf("b leads %v, knows leader %q; want a", b.leading.Load(), b.l.leader())
	}
	start := time.Now()
	a.stop() // resigns on the way out
	eventually(t, 2*campaignEvery+time.Second, "b did not take over from a that resigned", b.leading.Load)
	t.Logf("b took over %v after a stopped", time.Since(start).Round(time.Millisecond))
	if a.overlap.Load() || b.overlap.Load() {
		t.Error("a server ran its leader and follower roles at once")
	}
}

// failingElector is a store whose campaigns fail from some point on, as
// when the database is cut off.
type failingElector struct {
	elector
	failing atomic.Bool
}

func (f *failingElector) Campaign(ctx context.Context, holder, address string, ttl time.Duration) (postgres.Lease, error) {
	if f.failing.Load() {
		return postgres.Lease{}, errors.New("connection refused")
	}
	return f.elector.Campaign(ctx, holder, address, ttl)
}

// A leader that cannot renew its lease steps down before the lease can
// expire, so that its controller has stopped before another server's
// starts; the other takes over once it has expired.
func TestLeaderCutOffStepsDownBeforeTakeover(t *testing.T) {
	url := pgtest.NewDatabase(t)
	fa := &failingElector{elector: openPostgres(t, url)}
	a := runCandidate(t, fa, "a")
	eventually(t, 5*time.Second, "a never led", a.leading.Load)
	var steppedDown, tookOver time.Time
	var mu sync.Mutex
	b := runCandidate(t, openPostgres(t, url), "b")
	cut := time.Now()
	fa.failing.Store(true)
	eventually(t, leaseTTL+3*campaignEvery, "nobody took over", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if steppedDown.IsZero() && !a.leading.Load() {
			steppedDown = time.Now()
		}
		if tookOver.IsZero() && b.leading.Load() {
			tookOver = time.Now()
		}
		return !tookOver.IsZero()
	})
	t.Logf("cut off at 0; a stepped down after %v, b took over after %v", steppedDown.Sub(cut).Round(time.Millisecond), tookOver.Sub(cut).Round(time.Millisecond))
	if steppedDown.IsZero() || !steppedDown.Before(tookOver) {
		t.Fatalf("a stepped down at %v, b took over at %v: both led at once", steppedDown, tookOver)
	}
	if d := tookOver.Sub(cut); d > 10*time.Second {
		t.Errorf("takeover took %v, want within 10s", d)
	}
}

// Servers on one PostgreSQL store share the first one's instance ID and
// signing secret, and their data directories say so.
func TestSharedInstanceAndSecret(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	var ids, secrets []string
	for range 2 {
		dir := t.TempDir()
		st := openPostgres(t, url)
		id, err := controlPlaneInstance(ctx, st, dir)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := signingSecret(ctx, &config.Config{}, st, dir)
		if err != nil {
			t.Fatal(err)
		}
		file, _ := os.ReadFile(filepath.Join(dir, InstanceIDFile))
		if got := strings.TrimSpace(string(file)); got != id {
			t.Errorf("the data directory's instance ID is %q, the server's %q", got, id)
		}
		ids, secrets = append(ids, id), append(secrets, string(secret))
	}
	if ids[0] != ids[1] || secrets[0] != secrets[1] {
		t.Errorf("two servers on one store have instance IDs %q and signing secrets %q", ids, secrets)
	}
}

// One data directory serves one server at a time.
func TestDataDirLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir); err == nil || !strings.Contains(err.Error(), "another cutover server uses the data directory") {
		t.Fatalf("a second lock: %v", err)
	}
	release()
	release, err = lockDataDir(dir)
	if err != nil {
		t.Fatalf("after the first server: %v", err)
	}
	release()
}
