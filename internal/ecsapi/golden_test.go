package ecsapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

// updateGolden rewrites the golden files from the actual responses:
// go test ./internal/ecsapi -run TestGolden -update
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.json from the actual responses")

// testNow is the fixed clock of API tests.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// testARNs are the region and account of API tests.
var testARNs = state.ARNs{Region: "us-east-1", Account: "000000000000"}

// newTestAPI returns an API over a fresh bolt store in a temporary
// directory, with the fixed clock testNow, and the store itself.
func newTestAPI(tb testing.TB) (*API, store.Store) {
	tb.Helper()
	st, err := bolt.Open(filepath.Join(tb.TempDir(), "state.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	api := New(Config{Store: st, ARNs: testARNs, Now: func() time.Time { return testNow }})
	return api, st
}

// serve sends body to the API as the aws CLI would send operation op and
// returns the status and the response body.
func serve(h http.Handler, op string, body []byte) (int, []byte) {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", TargetPrefix+op)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes()
}

// goldenStep is one request of a golden file and the answer expected.
// The body sent is rawBody when set (for bodies that are not valid JSON),
// else request (nothing when neither is set).
type goldenStep struct {
	Comment  string          `json:"comment,omitempty"`
	Op       string          `json:"op"`
	Request  json.RawMessage `json:"request,omitempty"`
	RawBody  *string         `json:"rawBody,omitempty"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

// body is what the step sends.
func (s goldenStep) body() []byte {
	if s.RawBody != nil {
		return []byte(*s.RawBody)
	}
	return s.Request
}

// masks replace, in every string of a response, the values that are
// random from one run to the next, so that responses can be compared:
//
//   - UUIDs (8-4-4-4-12 hexadecimal digits), such as container IDs and
//     service deployment IDs, become "<uuid>";
//   - task IDs (32 hexadecimal digits) become "<task-id>";
//   - the IDs of DescribeServices' deployments[] become "ecs-svc/<id>".
//
// Timestamps need no mask: the API runs on the fixed clock testNow.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "<task-id>"},
	{regexp.MustCompile(`ecs-svc/[0-9]{19}`), "ecs-svc/<id>"},
}

// mask applies masks to every string in a decoded JSON value.
func mask(v any) any {
	switch v := v.(type) {
	case string:
		for _, m := range masks {
			v = m.re.ReplaceAllString(v, m.with)
		}
		return v
	case []any:
		for i := range v {
			v[i] = mask(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = mask(v[k])
		}
	}
	return v
}

// decodeMasked decodes a JSON document and masks it.
func decodeMasked(tb testing.TB, b []byte) any {
	tb.Helper()
	var v any
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return mask(v)
}

// TestGolden runs each testdata/golden/*.json file, a JSON array of
// steps, in order against a fresh API and compares every status and
// (masked) response with the file's.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	steps := readGolden(t, file)
	api, _ := newTestAPI(t)
	for i := range steps {
		s := &steps[i]
		status, body := serve(api, s.Op, s.body())
		got := decodeMasked(t, body)
		if *updateGolden {
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			s.Status, s.Response = status, b
			continue
		}
		want := decodeMasked(t, s.Response)
		if status != s.Status || !reflect.DeepEqual(got, want) {
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			wantJSON, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("step %d (%s %s): got status %d\n%s\nwant status %d\n%s", i, s.Op, s.Comment, status, gotJSON, s.Status, wantJSON)
		}
	}
	if *updateGolden {
		writeGolden(t, file, steps)
	}
}

func readGolden(t *testing.T, file string) []goldenStep {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var steps []goldenStep
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&steps); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return steps
}

// writeGolden rewrites a golden file through a temporary file.
func writeGolden(t *testing.T, file string, steps []goldenStep) {
	t.Helper()
	b, err := json.MarshalIndent(steps, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// goldenRequests returns every op and body of the golden files, to seed
// the fuzzer.
func goldenRequests(tb testing.TB) []goldenStep {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var all []goldenStep
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var steps []goldenStep
		if err := json.Unmarshal(b, &steps); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		all = append(all, steps...)
	}
	return all
}

func TestMask(t *testing.T) {
	in := `{"a": ["arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef",
		"arn:aws:ecs:us-east-1:000000000000:container/default/0123456789abcdef0123456789abcdef/5f2c3a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60"],
		"n": 1, "s": "web:1", "deadbeef": {"x": "0123456789abcdef0123456789abcdef0"}}`
	want := map[string]any{
		"a": []any{
			"arn:aws:ecs:us-east-1:000000000000:task/default/<task-id>",
			"arn:aws:ecs:us-east-1:000000000000:container/default/<task-id>/<uuid>",
		},
		"n": 1.0, "s": "web:1", "deadbeef": map[string]any{"x": "0123456789abcdef0123456789abcdef0"},
	}
	if got := decodeMasked(t, []byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
