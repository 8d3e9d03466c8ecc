package ecsapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// FuzzServeHTTP sends random bodies to the supported operations of an
// API that holds clusters, task definitions, a service and tasks: the
// API must never panic, never answer 5xx, and always answer JSON (an
// error with __type and message unless it is a 200). Seeds are the
// golden requests.
//
//	go test ./internal/ecsapi -run '^$' -fuzz FuzzServeHTTP -fuzztime 60s
func FuzzServeHTTP(f *testing.F) {
	api, st := newTestAPI(f)
	ops := make([]string, 0, len(api.ops))
	for name := range api.ops {
		ops = append(ops, name)
	}
	slices.Sort(ops)
	for _, s := range goldenRequests(f) {
		if i := slices.Index(ops, s.Op); i >= 0 {
			f.Add(uint8(i), s.body())
			// The golden requests also give the API some state.
			serve(api, s.Op, s.body())
		}
	}
	for i := range ops {
		f.Add(uint8(i), []byte(`{}`))
	}
	seedTasks(f, st, taskFixtures)

	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := ops[int(opIndex)%len(ops)]
		status, resp := serve(api, op, body)
		if status >= http.StatusInternalServerError {
			t.Fatalf("%s %q: status %d: %s", op, body, status, resp)
		}
		var v map[string]any
		if err := json.Unmarshal(resp, &v); err != nil {
			t.Fatalf("%s %q: answer is not a JSON object: %q", op, body, resp)
		}
		if status != http.StatusOK && (v["__type"] == nil || v["message"] == nil) {
			t.Fatalf("%s %q: status %d without __type and message: %s", op, body, status, resp)
		}
	})
}
