package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTLS(t *testing.T) {
	doc := `
tls:
  api: {certFile: tls/api.crt, keyFile: /etc/tls/api.key}
  certificates:
    - arn: arn:aws:acm:us-east-1:123456789012:certificate/www
      certFile: www.crt
      keyFile: www.key
    - {arn: "arn:aws:iam::123456789012:server-certificate/old", certFile: /a.crt, keyFile: /a.key}
`
	c, err := Parse([]byte(doc), "/srv/cutover")
	if err != nil {
		t.Fatal(err)
	}
	want := TLS{
		API: &KeyPair{CertFile: "/srv/cutover/tls/api.crt", KeyFile: "/etc/tls/api.key"},
		Certificates: []Certificate{
			{ARN: "arn:aws:acm:us-east-1:123456789012:certificate/www", KeyPair: KeyPair{CertFile: "/srv/cutover/www.crt", KeyFile: "/srv/cutover/www.key"}},
			{ARN: "arn:aws:iam::123456789012:server-certificate/old", KeyPair: KeyPair{CertFile: "/a.crt", KeyFile: "/a.key"}},
		},
	}
	if !reflect.DeepEqual(c.TLS, want) {
		t.Fatalf("got %+v\nwant %+v", c.TLS, want)
	}
	if kp, ok := c.TLS.Certificate("arn:aws:iam::123456789012:server-certificate/old"); !ok || kp.CertFile != "/a.crt" {
		t.Fatalf("Certificate: %+v %v", kp, ok)
	}
	if _, ok := c.TLS.Certificate("arn:aws:acm:us-east-1:123456789012:certificate/none"); ok {
		t.Fatal("Certificate found an ARN the file does not list")
	}
	if got := c.TLS.ARNs(); len(got) != 2 || got[0] != want.Certificates[0].ARN {
		t.Fatalf("ARNs: %v", got)
	}
}

func TestParseTLSErrors(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"api without key":  {"tls:\n  api: {certFile: a.crt}\n", "tls.api"},
		"unknown field":    {"tls:\n  api: {certFile: a.crt, keyFile: a.key, chain: c}\n", "chain"},
		"not an ARN":       {"tls:\n  certificates:\n    - {arn: www, certFile: a, keyFile: b}\n", "not an ARN"},
		"no ARN":           {"tls:\n  certificates:\n    - {certFile: a, keyFile: b}\n", "tls.certificates[0]"},
		"no cert file":     {"tls:\n  certificates:\n    - {arn: 'arn:aws:acm:r:1:certificate/x', keyFile: b}\n", "certFile and keyFile"},
		"ARN listed twice": {"tls:\n  certificates:\n    - {arn: 'arn:aws:acm:r:1:certificate/x', certFile: a, keyFile: b}\n    - {arn: 'arn:aws:acm:r:1:certificate/x', certFile: c, keyFile: d}\n", "listed twice"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc), "/")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}
