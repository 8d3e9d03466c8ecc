package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/elbapi"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

// TestConfigVersionsFromBlocks takes data plane configuration versions
// from reserved blocks: one sequence step for a whole block, above what
// the data plane serves, and above every earlier version after a
// restart of the control plane.
func TestConfigVersionsFromBlocks(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	c := New(Config{Store: st})

	var r versionRange
	var last uint64
	for i := range versionBlock + 2 {
		v, err := c.nextVersion(ctx, &r, last)
		if err != nil {
			t.Fatal(err)
		}
		if v <= last {
			t.Fatalf("push %d: version %d after %d", i, v, last)
		}
		last = v
	}
	// Two blocks were reserved: the sequence moved twice.
	if got := r.end / versionBlock; got != 3 {
		t.Errorf("after %d pushes the block in hand ends at %d, want block 2 (ending at %d)", versionBlock+2, r.end, 3*versionBlock)
	}

	// A data plane ahead of the block (a hand-made config) gets a
	// version above its own.
	if v, err := c.nextVersion(ctx, &r, 10*versionBlock); err != nil || v != 10*versionBlock+1 {
		t.Errorf("with the data plane at %d: version %d, %v", 10*versionBlock, v, err)
	}

	// A restarted control plane starts a block of its own, above every
	// version the last one used.
	restarted := New(Config{Store: st})
	var r2 versionRange
	if v, err := restarted.nextVersion(ctx, &r2, 0); err != nil || v <= last {
		t.Errorf("after a restart: version %d (%v), want above %d", v, err, last)
	}
}

// TestPushIfStaleWakesOnlyWhenItPushed: a step that stored something for
// the data plane has it pushed, and a pass woken to go on; asked again
// with nothing new to push, it wakes none, so an engine that asks for
// weights already served cannot spin the controller.
func TestPushIfStaleWakesOnlyWhenItPushed(t *testing.T) {
	st, b, elb := elbFixture(t)
	c := New(Config{Store: st, ARNs: testARNs, DataPlane: balancerPlane{b}, LBAddress: "127.0.0.1"})
	elb(url.Values{"Action": {"CreateTargetGroup"}, "Name": {"web"}, "Protocol": {"HTTP"}, "Port": {"80"}, "TargetType": {"ip"}})
	woken := func() bool {
		select {
		case <-c.wake:
			return true
		default:
			return false
		}
	}
	ctx := context.Background()
	c.planeStale.Store(true)
	c.pushIfStale(ctx)
	if !woken() || len(b.Config().TargetGroups) != 1 {
		t.Fatalf("woken %v with the data plane serving %+v", woken(), b.Config())
	}
	c.planeStale.Store(true)
	c.pushIfStale(ctx)
	if woken() {
		t.Error("a pass was woken with nothing new pushed")
	}
}

var testARNs = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// elbFixture opens a store and an in-process data plane, closed when t
// ends, and returns them with a function that calls the ELBv2 API on the
// store with form and returns the answer's body.
func elbFixture(t *testing.T) (store.Store, *lb.Balancer, func(form url.Values) string) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := lb.New(lb.Options{})
	t.Cleanup(func() { b.Close(context.Background()) })
	api := elbapi.New(elbapi.Config{Store: st, ARNs: testARNs})
	return st, b, func(form url.Values) string {
		t.Helper()
		form.Set("Version", "2015-12-01")
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", form.Get("Action"), rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
}
