package awsmodel

import (
	"errors"
	"testing"
)

func FuzzValidateJSONInput(f *testing.F) {
	seeds := []struct{ op, body string }{
		{"CreateService", `{"serviceName":"web","desiredCount":2}`},
		{"CreateService", `{"serviceName":"web","deploymentController":{"type":"FOO"}}`},
		{"CreateService", `{"serviceName":"web","capacityProviderStrategy":[{"capacityProvider":"x","weight":5000}]}`},
		{"CreateService", `{"serviceName":"web","deploymentConfiguration":{"lifecycleHooks":[{"hookDetails":[1,{"a":null}]}]}}`},
		{"UpdateService", `{"service":"web","desiredCount":1e99}`},
		{"UpdateService", ``},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[{"name":"a","portMappings":[{"containerPort":80}],` +
			`"dockerLabels":{"a":"b"},"healthCheck":{"command":["CMD","true"],"interval":5}}]}`},
		{"RegisterTaskDefinition", `{"family":"f","containerDefinitions":[null,{"dockerLabels":{"a":null}}]}`},
		{"ListServiceDeployments", `{"service":"s","createdAt":{"before":"2024-11-24T20:26:40Z","after":-1.5e3}}`},
		{"TagResource", `{"resourceArn":"a","tags":[{"key":"\ud800"}]}`},
		{"NoSuchOperation", `{}`},
		{"ListClusters", `[1,2`},
		{"ListClusters", `{"a":1}{"b":2}`},
	}
	for _, s := range seeds {
		f.Add(s.op, []byte(s.body))
	}
	m := ECS()
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		err := m.ValidateJSONInput(op, body)
		if err == nil {
			return
		}
		var verr *ValidationError
		switch {
		case errors.As(err, &verr):
			if verr.Type != TypeSerialization && verr.Type != TypeInvalidParameter {
				t.Fatalf("unexpected type %q", verr.Type)
			}
			if verr.Message == "" {
				t.Fatal("empty message")
			}
		case errors.Is(err, ErrUnknownOperation):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	})
}
