package server

import (
	"context"
	"strings"
	"testing"
)

func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	st, err := openStore(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("embedded store: %v", err)
	}
	st.Close()

	for _, s := range []string{"mysql://cutover:hunter2@db/cutover", "cutover:hunter2@db", "/var/lib/cutover/state.db"} {
		_, err := openStore(ctx, Config{DataDir: t.TempDir(), Store: s})
		if err == nil || !strings.Contains(err.Error(), "want a postgres:// URL") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("--store %s: %v; want a refusal that does not show the password", s, err)
		}
	}

	// A PostgreSQL URL goes to PostgreSQL: nothing listens on port 1.
	_, err = openStore(ctx, Config{DataDir: t.TempDir(), Store: "postgresql://cutover@127.0.0.1:1/cutover?connect_timeout=5"})
	if err == nil || !strings.Contains(err.Error(), "connect to PostgreSQL at 127.0.0.1:1/cutover") {
		t.Errorf("unreachable PostgreSQL: %v", err)
	}
}
