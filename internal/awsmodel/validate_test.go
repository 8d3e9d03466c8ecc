package awsmodel

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateJSONInput(t *testing.T) {
	const (
		ser = TypeSerialization
		inv = TypeInvalidParameter
	)
	tests := []struct {
		name     string
		op       string
		body     string
		wantType string // "" means valid
		wantPath string
		wantMsg  string // exact message when set
		contains string // message substring when set
	}{
		{name: "minimal create service", op: "CreateService", body: `{"serviceName":"web"}`},
		{name: "empty body counts as object", op: "ListClusters", body: ``},
		{name: "whitespace body counts as object", op: "ListClusters", body: " \n\t"},
		{
			name: "unknown members ignored", op: "CreateService",
			body: `{"serviceName":"web","noSuchMember":{"a":[1,2]},"desiredCount":2}`,
		},
		{
			name: "full create service", op: "CreateService",
			body: `{"cluster":"default","serviceName":"web","taskDefinition":"web:3","desiredCount":0,
			"loadBalancers":[{"targetGroupArn":"arn:tg","containerName":"web","containerPort":8080,
			"advancedConfiguration":{"alternateTargetGroupArn":"arn:tg2","productionListenerRule":"arn:r"}}],
			"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100,
			"deploymentCircuitBreaker":{"enable":true,"rollback":false},"strategy":"BLUE_GREEN",
			"bakeTimeInMinutes":5,"lifecycleHooks":[{"hookTargetArn":"arn:fn","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],
			"hookDetails":{"anything":["goes",1,null]}}],"canaryConfiguration":{"canaryPercent":10.5,"canaryBakeTimeInMinutes":3}},
			"deploymentController":{"type":"ECS"},"tags":[{"key":"team","value":""}],"enableExecuteCommand":false}`,
		},
		{
			name: "missing required top-level member", op: "CreateService", body: `{}`,
			wantType: inv, wantPath: "serviceName",
			wantMsg: "1 validation error detected: Value null at 'serviceName' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "null required member", op: "UpdateService", body: `{"service":null}`,
			wantType: inv, wantPath: "service",
			wantMsg: "1 validation error detected: Value null at 'service' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "empty body still checks required", op: "UpdateService", body: ``,
			wantType: inv, wantPath: "service",
		},
		{
			name: "string for integer", op: "UpdateService", body: `{"service":"web","desiredCount":"abc"}`,
			wantType: ser, wantPath: "desiredCount",
			wantMsg: `Value "abc" at 'desiredCount' failed to satisfy constraint: Member must be a number`,
		},
		{
			name: "fraction for integer", op: "UpdateService", body: `{"service":"web","desiredCount":1.5}`,
			wantType: ser, wantPath: "desiredCount", contains: "Member must be an integer",
		},
		{
			name: "exponent for integer", op: "UpdateService", body: `{"service":"web","desiredCount":1e2}`,
			wantType: ser, wantPath: "desiredCount", contains: "Member must be an integer",
		},
		{
			name: "integer out of int32 range", op: "UpdateService", body: `{"service":"web","desiredCount":3000000000}`,
			wantType: ser, wantPath: "desiredCount",
			contains: "Member must be an integer between -2147483648 and 2147483647",
		},
		{
			name: "string for boolean", op: "UpdateService", body: `{"service":"web","forceNewDeployment":"true"}`,
			wantType: ser, wantPath: "forceNewDeployment", contains: "Member must be a boolean",
		},
		{
			name: "number for string", op: "UpdateService", body: `{"service":5}`,
			wantType: ser, wantPath: "service",
			wantMsg: "Value 5 at 'service' failed to satisfy constraint: Member must be a string",
		},
		{
			name: "string for structure", op: "UpdateService", body: `{"service":"web","deploymentConfiguration":"fast"}`,
			wantType: ser, wantPath: "deploymentConfiguration", contains: "Member must be an object",
		},
		{
			name: "object for list", op: "UpdateService", body: `{"service":"web","loadBalancers":{}}`,
			wantType: ser, wantPath: "loadBalancers", contains: "Member must be an array",
		},
		{
			name: "serialization error wins over earlier constraint error", op: "CreateService",
			body:     `{"desiredCount":"x"}`,
			wantType: ser, wantPath: "desiredCount",
		},
		{
			name: "enum", op: "CreateService", body: `{"serviceName":"web","deploymentController":{"type":"FOO"}}`,
			wantType: inv, wantPath: "deploymentController.type",
			wantMsg: "1 validation error detected: Value 'FOO' at 'deploymentController.type' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [ECS, CODE_DEPLOY, EXTERNAL]",
		},
		{
			name: "nested required", op: "CreateService", body: `{"serviceName":"web","deploymentController":{}}`,
			wantType: inv, wantPath: "deploymentController.type",
		},
		{
			name: "value above max", op: "CreateService",
			body:     `{"serviceName":"web","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":5000}]}`,
			wantType: inv, wantPath: "capacityProviderStrategy[0].weight",
			wantMsg: "1 validation error detected: Value '5000' at 'capacityProviderStrategy[0].weight' failed to satisfy " +
				"constraint: Member must have value less than or equal to 1000",
		},
		{
			name: "value below min", op: "CreateService",
			body: `{"serviceName":"web","deploymentConfiguration":{"lifecycleHooks":[{"hookTargetArn":"a"},
			{"timeoutConfiguration":{"timeoutInMinutes":0}}]}}`,
			wantType: inv, wantPath: "deploymentConfiguration.lifecycleHooks[1].timeoutConfiguration.timeoutInMinutes",
			contains: "Value '0' at 'deploymentConfiguration.lifecycleHooks[1].timeoutConfiguration.timeoutInMinutes' " +
				"failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name: "list longer than max", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[],"tags":[` + strings.Repeat(`{"key":"k"},`, 50) + `{"key":"k"}]}`,
			wantType: inv, wantPath: "tags", contains: "Member must have length less than or equal to 50",
		},
		{
			name: "string shorter than min", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[],"tags":[{"key":""}]}`,
			wantType: inv, wantPath: "tags[0].key",
			wantMsg: "1 validation error detected: Value '' at 'tags[0].key' failed to satisfy constraint: " +
				"Member must have length greater than or equal to 1",
		},
		{
			name: "string longer than max", op: "TagResource",
			body:     `{"resourceArn":"arn","tags":[{"key":"` + strings.Repeat("é", 129) + `"}]}`,
			wantType: inv, wantPath: "tags[0].key", contains: "Member must have length less than or equal to 128",
		},
		{
			name: "string at max counts runes", op: "TagResource",
			body: `{"resourceArn":"arn","tags":[{"key":"` + strings.Repeat("é", 128) + `"}]}`,
		},
		{
			name: "deep type error in list", op: "RegisterTaskDefinition",
			body: `{"family":"web","containerDefinitions":[{"name":"a"},{"name":"b",
			"portMappings":[{"containerPort":"80"}]}]}`,
			wantType: ser, wantPath: "containerDefinitions[1].portMappings[0].containerPort",
		},
		{
			name: "required in list element", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[{"name":"a","logConfiguration":{"options":{}}}]}`,
			wantType: inv, wantPath: "containerDefinitions[0].logConfiguration.logDriver",
		},
		{
			name: "required members in model order", op: "RegisterTaskDefinition", body: `{}`,
			wantType: inv, wantPath: "family",
		},
		{
			name: "null list element", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[null]}`,
			wantType: inv, wantPath: "containerDefinitions[0]", contains: "Member must not be null",
		},
		{
			name: "map value type", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[{"dockerLabels":{"b":"ok","a":7}}]}`,
			wantType: ser, wantPath: `containerDefinitions[0].dockerLabels["a"]`,
		},
		{
			name: "null map value", op: "RegisterTaskDefinition",
			body:     `{"family":"web","containerDefinitions":[{"dockerLabels":{"a":null}}]}`,
			wantType: inv, wantPath: `containerDefinitions[0].dockerLabels["a"]`,
		},
		{
			name: "timestamp as epoch and ISO", op: "ListServiceDeployments",
			body: `{"service":"web","createdAt":{"after":1732480000.123,"before":"2024-11-24T20:26:40Z"},
			"status":["IN_PROGRESS","ROLLBACK_IN_PROGRESS"],"maxResults":10}`,
		},
		{
			name: "timestamp as garbage string", op: "ListServiceDeployments",
			body:     `{"service":"web","createdAt":{"before":"yesterday"}}`,
			wantType: ser, wantPath: "createdAt.before", contains: "Member must be a timestamp",
		},
		{
			name: "timestamp as boolean", op: "ListServiceDeployments",
			body:     `{"service":"web","createdAt":{"after":true}}`,
			wantType: ser, wantPath: "createdAt.after",
		},
		{
			name: "enum in list", op: "ListServiceDeployments", body: `{"service":"web","status":["SUCCESSFUL","DONE"]}`,
			wantType: inv, wantPath: "status[1]", contains: "Value 'DONE' at 'status[1]'",
		},
		{
			name: "double", op: "CreateService",
			body:     `{"serviceName":"web","deploymentConfiguration":{"linearConfiguration":{"stepPercent":"ten"}}}`,
			wantType: ser, wantPath: "deploymentConfiguration.linearConfiguration.stepPercent",
		},
		{
			name: "double out of range", op: "CreateService",
			body:     `{"serviceName":"web","deploymentConfiguration":{"linearConfiguration":{"stepPercent":1e400}}}`,
			wantType: ser, wantPath: "deploymentConfiguration.linearConfiguration.stepPercent",
		},
		{
			name: "describe service deployments", op: "DescribeServiceDeployments",
			body: `{"serviceDeploymentArns":["arn:aws:ecs:us-east-1:1:service-deployment/c/s/x"]}`,
		},
		{
			name: "stop service deployment enum", op: "StopServiceDeployment",
			body:     `{"serviceDeploymentArn":"arn","stopType":"rollback"}`,
			wantType: inv, wantPath: "stopType", contains: "[ABORT, ROLLBACK]",
		},
		{name: "invalid JSON", op: "CreateService", body: `{"serviceName":`, wantType: ser, contains: "not valid JSON"},
		{name: "top-level array", op: "CreateService", body: `[]`, wantType: ser, contains: "not valid JSON"},
		{name: "top-level null", op: "CreateService", body: `null`, wantType: ser, contains: "not valid JSON"},
		{name: "form feed is not JSON whitespace", op: "ListClusters", body: "{}\f", wantType: ser, contains: "not valid JSON"},
		{name: "form feed alone is not empty", op: "ListClusters", body: "\f", wantType: ser, contains: "not valid JSON"},
		{name: "trailing data", op: "CreateService", body: `{"serviceName":"a"} {}`, wantType: ser, contains: "not valid JSON"},
	}
	m := ECS()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.ValidateJSONInput(tt.op, []byte(tt.body))
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("ValidateJSONInput(%s) = %v, want nil", tt.op, err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("ValidateJSONInput(%s) = %v, want a *ValidationError", tt.op, err)
			}
			if verr.Type != tt.wantType {
				t.Errorf("Type = %q, want %q (message %q)", verr.Type, tt.wantType, verr.Message)
			}
			if verr.Path != tt.wantPath {
				t.Errorf("Path = %q, want %q (message %q)", verr.Path, tt.wantPath, verr.Message)
			}
			if tt.wantMsg != "" && verr.Message != tt.wantMsg {
				t.Errorf("Message = %q\nwant      %q", verr.Message, tt.wantMsg)
			}
			if tt.contains != "" && !strings.Contains(verr.Message, tt.contains) {
				t.Errorf("Message = %q, want it to contain %q", verr.Message, tt.contains)
			}
		})
	}
}

func TestValidateJSONInputUnknownOperation(t *testing.T) {
	err := ECS().ValidateJSONInput("LaunchRocket", []byte(`{}`))
	if !errors.Is(err, ErrUnknownOperation) {
		t.Fatalf("err = %v, want ErrUnknownOperation", err)
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		t.Fatalf("err = %v, want no *ValidationError", err)
	}
}

func TestValidateJSONInputLongMessagesTruncated(t *testing.T) {
	body := `{"resourceArn":"arn","tags":[{"key":"` + strings.Repeat("x", 5000) + `"}]}`
	err := ECS().ValidateJSONInput("TagResource", []byte(body))
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	if len(verr.Message) > 400 {
		t.Errorf("message is %d bytes long, want it truncated", len(verr.Message))
	}
}
