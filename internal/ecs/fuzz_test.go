package ecs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/awsmodel"
)

func FuzzTimeUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`1732480000.123`, `-1.5`, `1.7E9`, `"2024-11-24T20:26:40Z"`, `null`, `"x"`, `1e300`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Time
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal after Unmarshal(%q): %v", data, err)
		}
		var back Time
		if err := json.Unmarshal(out, &back); err != nil || back.UnixMilli() != v.UnixMilli() {
			t.Fatalf("%q: re-decoding %s gave %v, %v; want %v", data, out, back.Time, err, v.Time)
		}
	})
}

// fuzzTargets are the operations FuzzValidatedRequestsDecode checks and
// the request type of each.
var fuzzTargets = []struct {
	op  string
	new func() any
}{
	{"CreateService", func() any { return new(CreateServiceRequest) }},
	{"UpdateService", func() any { return new(UpdateServiceRequest) }},
	{"RegisterTaskDefinition", func() any { return new(RegisterTaskDefinitionRequest) }},
	{"ListServiceDeployments", func() any { return new(ListServiceDeploymentsRequest) }},
}

// FuzzValidatedRequestsDecode checks that every body the validator
// accepts decodes into the generated request type. Bodies with duplicate
// keys or with member names that differ from a model name only in case
// are skipped: encoding/json treats those differently from the model
// (it matches names case-insensitively), so the API layer must still map
// decoding errors to a SerializationException.
func FuzzValidatedRequestsDecode(f *testing.F) {
	seeds := []string{
		`{"serviceName":"web","desiredCount":0,"deploymentConfiguration":{"bakeTimeInMinutes":5}}`,
		`{"service":"web","loadBalancers":[{"containerPort":80,"advancedConfiguration":{"roleArn":"r"}}]}`,
		`{"family":"f","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80}],"dockerLabels":{"a":"b"}}]}`,
		`{"service":"s","createdAt":{"before":"2024-11-24T20:26:40Z","after":1732480000.123}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	model := awsmodel.ECS()
	names := memberNames(model)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		target := fuzzTargets[int(which)%len(fuzzTargets)]
		if model.ValidateJSONInput(target.op, body) != nil {
			return
		}
		if len(bytes.TrimSpace(body)) == 0 || !plainKeys(body, names) {
			return
		}
		if err := json.Unmarshal(body, target.new()); err != nil {
			t.Fatalf("%s: validator accepted %q but decoding failed: %v", target.op, body, err)
		}
	})
}

// memberNames returns every member name of the model.
func memberNames(m *awsmodel.Model) map[string]bool {
	names := map[string]bool{}
	for _, s := range m.Shapes {
		for _, mem := range s.Members {
			names[mem.Name] = true
		}
	}
	return names
}

// plainKeys reports whether body has no duplicate keys in any object and
// no key that matches a model member name only case-insensitively.
func plainKeys(body []byte, names map[string]bool) bool {
	folded := map[string]bool{}
	for n := range names {
		folded[strings.ToLower(n)] = true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys     map[string]bool
		isObject bool
		wantKey  bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObject && top.wantKey {
			if key, ok := tok.(string); ok {
				if top.keys[key] || (!names[key] && folded[strings.ToLower(key)]) {
					return false
				}
				top.keys[key] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, isObject: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object wants a key next.
		if len(stack) > 0 && stack[len(stack)-1].isObject {
			stack[len(stack)-1].wantKey = true
		}
	}
}
