package lbserver

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testfs"
)

// TestConfigPersistedOnceSpaceIsFreed applies a configuration while the
// directory is full: it is served, the push answers that it is not
// persisted, and once space is freed it is saved in the background, so
// that a restart serves it rather than the one persisted before.
func TestConfigPersistedOnceSpaceIsFreed(t *testing.T) {
	dir := testfs.Tmpfs(t, 1<<20)
	client, stop := startRun(t, Options{Dir: dir, retryInterval: 20 * time.Millisecond})
	addr := freeAddr(t)
	v1, v2 := backendTarget(t, "v1", nil), backendTarget(t, "v2", nil)
	ctx := context.Background()
	if err := client.Apply(ctx, testConfig(1, addr, v1)); err != nil {
		t.Fatal(err)
	}
	// tmpfs allocates whole pages: full, it takes not even a new small
	// file.
	filler := testfs.Fill(t, dir)
	err := client.Apply(ctx, testConfig(2, addr, v2))
	if err == nil || !strings.Contains(err.Error(), "not persisted") {
		t.Fatalf("apply on a full directory = %v, want an error saying it is not persisted", err)
	}
	waitBody(t, "http://"+addr+"/", "v2")
	if cfg, _, err := loadConfig(dir); err != nil || cfg.Version != 1 {
		t.Fatalf("config.json with the directory full: version %d, %v; want 1", cfg.Version, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		cfg, _, err := loadConfig(dir)
		if err == nil && cfg.Version == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("config.json after freeing space: version %d, %v; want 2", cfg.Version, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	startRun(t, Options{Dir: dir})
	waitBody(t, "http://"+addr+"/", "v2")
}
