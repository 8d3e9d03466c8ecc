package awsquery

import (
	"net/http/httptest"
	"testing"
)

func TestSigV4Service(t *testing.T) {
	cases := []struct {
		auth, url, want string
		ok              bool
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x", "/", "monitoring", true},
		{"", "/?X-Amz-Credential=AKID%2F20261124%2Fus-east-1%2Felasticloadbalancing%2Faws4_request", "elasticloadbalancing", true},
		{"AWS4-HMAC-SHA256 SignedHeaders=host", "/", "", false},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/monitoring, Signature=x", "/", "", false},
		{"", "/", "", false},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", c.url, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got, ok := SigV4Service(r); got != c.want || ok != c.ok {
			t.Errorf("%q %q: got %q %v, want %q %v", c.auth, c.url, got, ok, c.want, c.ok)
		}
	}
}
