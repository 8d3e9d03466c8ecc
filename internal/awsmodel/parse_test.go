package awsmodel

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestEmbeddedModels(t *testing.T) {
	tests := []struct {
		name     string
		model    func() *Model
		protocol string
		op       string
	}{
		{"ecs", ECS, "json", "CreateService"},
		{"elbv2", ELBv2, "query", "CreateLoadBalancer"},
		{"cloudwatch", CloudWatch, "smithy-rpc-v2-cbor", "PutMetricAlarm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wg sync.WaitGroup
			models := make([]*Model, 8)
			for i := range models {
				wg.Go(func() { models[i] = tt.model() })
			}
			wg.Wait()
			for _, m := range models[1:] {
				if m != models[0] {
					t.Fatal("concurrent calls returned different models")
				}
			}
			m := models[0]
			if m.Metadata.Protocol != tt.protocol {
				t.Errorf("protocol = %q, want %q", m.Metadata.Protocol, tt.protocol)
			}
			op, err := m.Operation(tt.op)
			if err != nil {
				t.Fatalf("Operation(%q): %v", tt.op, err)
			}
			if op.Input == nil || op.Input.Shape == nil {
				t.Fatalf("%s input not resolved", tt.op)
			}
			for name, s := range m.Shapes {
				if s.Name != name {
					t.Fatalf("shape %q has Name %q", name, s.Name)
				}
				for _, mem := range s.Members {
					if mem.Shape == nil {
						t.Fatalf("shape %q member %q not resolved", name, mem.Name)
					}
				}
			}
		})
	}
}

func TestParseKeepsMemberOrderAndRequired(t *testing.T) {
	m := ECS()
	s := m.Shapes["CreateServiceRequest"]
	if s == nil {
		t.Fatal("no CreateServiceRequest shape")
	}
	var names []string
	for _, mem := range s.Members {
		names = append(names, mem.Name)
	}
	want := []string{"cluster", "serviceName", "taskDefinition"}
	if !slices.Equal(names[:3], want) {
		t.Errorf("first members = %v, want %v", names[:3], want)
	}
	if mem := s.MemberByName("serviceName"); mem == nil || !mem.Required {
		t.Errorf("serviceName member = %+v, want required", mem)
	}
	if mem := s.MemberByName("cluster"); mem == nil || mem.Required {
		t.Errorf("cluster member = %+v, want optional", mem)
	}
	if s.MemberByName("nope") != nil {
		t.Error("MemberByName(nope) != nil")
	}
	if got := m.Shapes["DeploymentControllerType"].Enum; !slices.Equal(got, []string{"ECS", "CODE_DEPLOY", "EXTERNAL"}) {
		t.Errorf("DeploymentControllerType enum = %v", got)
	}
	if got := m.Shapes["Tags"].Max; got == nil || *got != 50 {
		t.Errorf("Tags max = %v, want 50", got)
	}
	if names := m.OperationNames(); !slices.IsSorted(names) || !slices.Contains(names, "ListServiceDeployments") {
		t.Errorf("OperationNames() not sorted or incomplete: %v", names)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"not JSON", `{`},
		{"gzip header only", "\x1f\x8b"},
		{"undefined member shape", `{"shapes":{"A":{"type":"structure","members":{"x":{"shape":"B"}}}}}`},
		{"undefined input shape", `{"operations":{"Op":{"input":{"shape":"Nope"}}},"shapes":{}}`},
		{"list without member", `{"shapes":{"L":{"type":"list"}}}`},
		{"map without value", `{"shapes":{"S":{"type":"string"},"M":{"type":"map","key":{"shape":"S"}}}}`},
		{"members not an object", `{"shapes":{"A":{"type":"structure","members":[]}}}`},
		{"null shape", `{"shapes":{"A":null}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("Parse() error = %v, want ErrInvalidModel", err)
			}
		})
	}
}

func TestParseMinimal(t *testing.T) {
	m, err := Parse([]byte(`{"metadata":{"protocol":"json"},"operations":{"Op":{"input":{"shape":"In"}}},
		"shapes":{"In":{"type":"structure","required":["b"],"members":{"b":{"shape":"S"},"a":{"shape":"S"}}},
		"S":{"type":"string","min":1}}}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	in := m.Shapes["In"]
	if in.Members[0].Name != "b" || in.Members[1].Name != "a" || !in.Members[0].Required {
		t.Errorf("members = %+v %+v", in.Members[0], in.Members[1])
	}
	if m.Operations["Op"].Name != "Op" {
		t.Errorf("operation name = %q", m.Operations["Op"].Name)
	}
	if _, err := m.Operation("Other"); !errors.Is(err, ErrUnknownOperation) {
		t.Errorf("Operation(Other) error = %v", err)
	}
}
