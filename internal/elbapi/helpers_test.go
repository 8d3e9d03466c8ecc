package elbapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

// testNow is the fixed clock of API tests.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testARNs are the region and account of API tests.
var testARNs = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// testAPI is an API over a fresh store with a fixed clock and sequential
// resource IDs (0000000000000001, 0000000000000002...), counting the
// Changed calls.
type testAPI struct {
	*API
	store   store.Store
	changes atomic.Int64
}

// newTestAPI returns a testAPI over a bolt store in a temporary directory.
func newTestAPI(tb testing.TB, cfg Config) *testAPI {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "state.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	var ids atomic.Uint64
	t := &testAPI{store: st}
	cfg.Store, cfg.ARNs = st, testARNs
	cfg.Now = func() time.Time { return testNow }
	cfg.NewID = func() string { return fmt.Sprintf("%016x", ids.Add(1)) }
	cfg.Changed = func() { t.changes.Add(1) }
	t.API = New(cfg)
	return t
}

// post sends a form body as the aws CLI would and returns the status and
// the response body.
func post(h http.Handler, form string) (int, string) {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}
