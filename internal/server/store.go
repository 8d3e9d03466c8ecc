package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
	"github.com/cutover/cutover/internal/store/postgres"
)

// openStore opens the store cfg.Store names: PostgreSQL for a postgres://
// or postgresql:// URL; the embedded bolt store in the data directory
// when empty. Anything else is an error rather than a guess.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	switch s := cfg.Store; {
	case s == "":
		return bolt.Open(filepath.Join(cfg.DataDir, "state.db"), 5*time.Second)
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return postgres.Open(ctx, s)
	default:
		return nil, fmt.Errorf("--store %q: want a postgres:// URL, or no --store for the embedded store in --data-dir", redactURL(s))
	}
}

// redactURL hides what could be a password in a store URL that is not
// one cutover understands, before it is shown.
func redactURL(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if scheme := strings.Index(s, "://"); scheme >= 0 && scheme < at {
			return s[:scheme+3] + "…" + s[at:]
		}
		return "…" + s[at:]
	}
	return s
}
