package ecs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/awsmodel"
)

// decodeStrict decodes data into v, refusing members v has no field for,
// so that a typo in a fixture cannot go unnoticed.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
}

// generic decodes JSON into maps, slices and json.Numbers for comparison.
func generic(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode generic JSON: %v", err)
	}
	return v
}

// TestRoundTrip decodes realistic requests and responses into the
// generated types and encodes them again: the JSON must be unchanged up to
// key order. Requests must also pass the model's validation.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		file  string
		op    string // operation whose input the file is; "" for responses
		value func() any
	}{
		{"register_task_definition.json", "RegisterTaskDefinition", func() any { return new(RegisterTaskDefinitionRequest) }},
		{"create_service.json", "CreateService", func() any { return new(CreateServiceRequest) }},
		{"describe_services_response.json", "", func() any { return new(DescribeServicesResponse) }},
		{"describe_service_deployments_response.json", "", func() any { return new(DescribeServiceDeploymentsResponse) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.op != "" {
				if err := awsmodel.ECS().ValidateJSONInput(tt.op, in); err != nil {
					t.Fatalf("fixture does not validate: %v", err)
				}
			}
			v := tt.value()
			decodeStrict(t, in, v)
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode %T: %v", v, err)
			}
			if got, want := generic(t, out), generic(t, in); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the JSON\n got: %s\nwant: %s", out, bytes.Join(bytes.Fields(in), nil))
			}
		})
	}
}

func TestCreateServiceRequestFields(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "create_service.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req CreateServiceRequest
	decodeStrict(t, in, &req)
	if req.DesiredCount == nil || *req.DesiredCount != 0 {
		t.Errorf("DesiredCount = %v, want explicit 0", req.DesiredCount)
	}
	if req.LaunchType != LaunchTypeEc2 {
		t.Errorf("LaunchType = %q", req.LaunchType)
	}
	dc := req.DeploymentConfiguration
	if dc == nil || dc.Strategy != DeploymentStrategyBlueGreen || Int32Value(dc.BakeTimeInMinutes) != 5 {
		t.Fatalf("DeploymentConfiguration = %+v", dc)
	}
	if got := BoolValue(dc.DeploymentCircuitBreaker.Rollback); got || dc.DeploymentCircuitBreaker.Rollback == nil {
		t.Errorf("circuit breaker rollback = %v, want explicit false", dc.DeploymentCircuitBreaker.Rollback)
	}
	hook := dc.LifecycleHooks[0]
	if hook.LifecycleStages[1] != DeploymentLifecycleHookStagePreScaleUp {
		t.Errorf("LifecycleStages = %v", hook.LifecycleStages)
	}
	if !json.Valid(hook.HookDetails) || !bytes.Contains(hook.HookDetails, []byte("/check")) {
		t.Errorf("HookDetails = %s", hook.HookDetails)
	}
	if Float64Value(dc.LinearConfiguration.StepPercent) != 12.5 {
		t.Errorf("StepPercent = %v", dc.LinearConfiguration.StepPercent)
	}
	lb := req.LoadBalancers[0]
	if Int32Value(lb.ContainerPort) != 8080 || lb.AdvancedConfiguration == nil ||
		lb.AdvancedConfiguration.AlternateTargetGroupArn == "" {
		t.Errorf("LoadBalancers[0] = %+v", lb)
	}
}

func TestResponseTimestamps(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "describe_services_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp DescribeServicesResponse
	decodeStrict(t, in, &resp)
	d := resp.Services[0].Deployments[0]
	want := time.UnixMilli(1732480000123).UTC()
	if !TimeValue(d.CreatedAt).Equal(want) {
		t.Errorf("CreatedAt = %v, want %v", d.CreatedAt, want)
	}
	if d.RolloutState != DeploymentRolloutStateCompleted {
		t.Errorf("RolloutState = %q", d.RolloutState)
	}
}

func TestEmptyValues(t *testing.T) {
	// An explicit [] decodes to a non-nil empty slice, absent to nil.
	var req UpdateServiceRequest
	if err := json.Unmarshal([]byte(`{"service":"web","loadBalancers":[],"desiredCount":0,"forceNewDeployment":false}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.LoadBalancers == nil || len(req.LoadBalancers) != 0 {
		t.Errorf("LoadBalancers = %#v, want empty non-nil", req.LoadBalancers)
	}
	if req.ServiceRegistries != nil {
		t.Errorf("ServiceRegistries = %#v, want nil", req.ServiceRegistries)
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	// Explicit zeros survive; empty lists and strings are omitted.
	if want := `{"service":"web","desiredCount":0,"forceNewDeployment":false}`; string(out) != want {
		t.Errorf("encoded %s, want %s", out, want)
	}
}

func TestEnumValues(t *testing.T) {
	got := ServiceDeploymentStatus("").Values()
	if len(got) == 0 || got[0] != ServiceDeploymentStatusPending {
		t.Fatalf("Values() = %v", got)
	}
	found := false
	for _, v := range got {
		found = found || v == ServiceDeploymentStatusRollbackInProgress
	}
	if !found || ServiceDeploymentStatusRollbackInProgress != "ROLLBACK_IN_PROGRESS" {
		t.Errorf("ROLLBACK_IN_PROGRESS missing from %v", got)
	}
}
