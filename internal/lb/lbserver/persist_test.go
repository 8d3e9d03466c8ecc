package lbserver

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/testfs"
)

// TestConfigPersistedOnceSpaceIsFreed applies a configuration while the
// directory is full: it is served (the push is answered once it serves,
// before it is saved), and once space is freed it is saved in the
// background, so that a restart serves it rather than the one persisted
// before.
func TestConfigPersistedOnceSpaceIsFreed(t *testing.T) {
	dir := testfs.Tmpfs(t, 1<<20)
	client, stop := startRun(t, Options{Dir: dir, retryInterval: 20 * time.Millisecond})
	addr := freeAddr(t)
	v1, v2 := backendTarget(t, "v1", nil), backendTarget(t, "v2", nil)
	ctx := context.Background()
	if err := client.Apply(ctx, testConfig(1, addr, v1)); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, dir, 1)
	// tmpfs allocates whole pages: full, it takes not even a new small
	// file.
	filler := testfs.Fill(t, dir)
	if err := client.Apply(ctx, testConfig(2, addr, v2)); err != nil {
		t.Fatalf("apply on a full directory: %v", err)
	}
	waitBody(t, "http://"+addr+"/", "v2")
	time.Sleep(100 * time.Millisecond) // five failed saves
	if cfg, _, err := loadConfig(dir); err != nil || cfg.Version != 1 {
		t.Fatalf("config.json with the directory full: version %d, %v; want 1", cfg.Version, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitSaved(t, dir, 2)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	startRun(t, Options{Dir: dir})
	waitBody(t, "http://"+addr+"/", "v2")
}

// TestAppliesSavedInOrder pushes configurations faster than the disk
// syncs: every push is answered, the last one serves, and config.json
// ends with it, also across a clean stop right after the last push.
func TestAppliesSavedInOrder(t *testing.T) {
	dir := t.TempDir()
	client, stop := startRun(t, Options{Dir: dir})
	addr := freeAddr(t)
	targets := []lb.Target{backendTarget(t, "a", nil), backendTarget(t, "b", nil)}
	ctx := context.Background()
	const n = 50
	for v := uint64(1); v <= n; v++ {
		if err := client.Apply(ctx, testConfig(v, addr, targets[v%2])); err != nil {
			t.Fatalf("apply version %d: %v", v, err)
		}
	}
	waitBody(t, "http://"+addr+"/", "a")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := loadConfig(dir); err != nil || cfg.Version != n {
		t.Fatalf("config.json after a clean stop: version %d, %v; want %d", cfg.Version, err, n)
	}
}

// waitSaved waits until config.json holds version.
func waitSaved(t *testing.T, dir string, version uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cfg, _, err := loadConfig(dir)
		if err == nil && cfg.Version == version {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("config.json: version %d, %v; want %d", cfg.Version, err, version)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
