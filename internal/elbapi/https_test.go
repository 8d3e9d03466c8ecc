package elbapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/lb"
)

// goldenCertificateARN is the certificate the golden files' API knows,
// as if the server configuration named it under tls.certificates.
const goldenCertificateARN = "arn:aws:acm:us-east-1:000000000000:certificate/www"

// TestHTTPSListenerErrors checks the codes and statuses of refused HTTPS
// listeners against the model's error shapes.
func TestHTTPSListenerErrors(t *testing.T) {
	api := newTestAPI(t, Config{Certificates: []string{goldenCertificateARN}})
	form := func(params ...string) string {
		return "Action=CreateListener&Version=" + APIVersion + "&" + strings.Join(params, "&")
	}
	if status, body := post(api, "Action=CreateLoadBalancer&Version="+APIVersion+"&Name=web"); status != 200 {
		t.Fatalf("CreateLoadBalancer: %d %s", status, body)
	}
	lbARN := "LoadBalancerArn=" + arnPrefix + "loadbalancer/app/web/0000000000000001"
	fixed := "DefaultActions.member.1.Type=fixed-response&DefaultActions.member.1.FixedResponseConfig.StatusCode=200"
	cases := []struct {
		name, params, code string
	}{
		{"unknown certificate", "Protocol=HTTPS&Certificates.member.1.CertificateArn=arn:aws:acm:us-east-1:000000000000:certificate/x", "CertificateNotFound"},
		{"unknown policy", "Protocol=HTTPS&SslPolicy=ELBSecurityPolicy-X&Certificates.member.1.CertificateArn=" + goldenCertificateARN, "SSLPolicyNotFound"},
		{"no certificate", "Protocol=HTTPS", "ValidationError"},
		{"TLS protocol", "Protocol=TLS&Certificates.member.1.CertificateArn=" + goldenCertificateARN, "UnsupportedProtocol"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(api, form(lbARN, "Port=443", fixed, c.params))
			if status != 400 || !strings.Contains(body, "<Code>"+c.code+"</Code>") {
				t.Fatalf("got %d %s, want 400 %s", status, body, c.code)
			}
		})
	}
	// Every policy lb accepts is accepted here.
	for i, p := range lb.SSLPolicies() {
		status, body := post(api, form(lbARN, fmt.Sprintf("Port=%d", 10000+i), fixed,
			"Protocol=HTTPS&SslPolicy="+p+"&Certificates.member.1.CertificateArn="+goldenCertificateARN))
		if status != 200 || !strings.Contains(body, "<SslPolicy>"+p+"</SslPolicy>") {
			t.Fatalf("policy %s: %d %s", p, status, body)
		}
	}
}
