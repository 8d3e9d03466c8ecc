package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/store/postgres/pgtest"
)

// TestPostgresStore runs the control plane on PostgreSQL (--store): a
// blue/green service deploys, the server is killed with SIGKILL, and the
// restarted server, which finds its state in PostgreSQL only, deploys
// the next revision.
func TestPostgresStore(t *testing.T) {
	pg := pgtest.StartServer(t)
	db, err := pg.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--store", db)
	prod, test, _, _ := blueGreenService(t, s)
	if _, err := os.Stat(filepath.Join(s.dataDir, "state.db")); !os.IsNotExist(err) {
		t.Fatalf("the embedded store exists beside --store postgres: %v", err)
	}

	s.kill9()
	s.start()
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	arn, _ := updateService(t, s, "web:2", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`)
	untilStatus(t, s, arn, "SUCCESSFUL", 90*time.Second)
	answers(t, "v2 deployed after a restart", map[string]string{prod: "v2", test: "v2"})
}
