package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// TLS configures HTTPS: the API endpoint's certificate and the
// certificates that HTTPS listeners of the load balancer name by ARN.
// Certificate and key files are PEM; relative paths are relative to the
// configuration file's directory. Renewed files are picked up without a
// restart (package certs).
//
//	tls:
//	  api:                                  # the API endpoint serves HTTPS
//	    certFile: tls/api.crt               # certificate, then intermediates
//	    keyFile: tls/api.key
//	  certificates:                         # for CreateListener --certificates
//	    - arn: arn:aws:acm:us-east-1:123456789012:certificate/www
//	      certFile: /etc/letsencrypt/live/www.example.com/fullchain.pem
//	      keyFile: /etc/letsencrypt/live/www.example.com/privkey.pem
type TLS struct {
	// API, when set, makes the API endpoint serve HTTPS with this
	// certificate.
	API *KeyPair `json:"api,omitempty"`
	// Certificates are the certificates HTTPS listeners may use; a
	// listener names one by its ARN (CertificateArn).
	Certificates []Certificate `json:"certificates,omitempty"`
}

// KeyPair names the PEM files of a certificate and its private key.
type KeyPair struct {
	// CertFile holds the certificate, followed by any intermediate
	// certificates.
	CertFile string `json:"certFile"`
	// KeyFile holds the certificate's private key.
	KeyFile string `json:"keyFile"`
}

// Certificate is a certificate that load balancer listeners reference
// by ARN, as they would reference an ACM or IAM certificate in AWS.
type Certificate struct {
	// ARN names the certificate in the ELBv2 API, such as
	// arn:aws:acm:us-east-1:123456789012:certificate/www (any ARN:
	// cutover does not talk to ACM).
	ARN string `json:"arn"`
	KeyPair
}

// Certificate returns the files of the certificate whose ARN is arn.
func (t TLS) Certificate(arn string) (KeyPair, bool) {
	for _, c := range t.Certificates {
		if c.ARN == arn {
			return c.KeyPair, true
		}
	}
	return KeyPair{}, false
}

// ARNs returns the ARNs of the listener certificates, in file order.
func (t TLS) ARNs() []string {
	arns := make([]string, 0, len(t.Certificates))
	for _, c := range t.Certificates {
		arns = append(arns, c.ARN)
	}
	return arns
}

// validate checks the section and makes its relative paths relative to
// dir.
func (t *TLS) validate(dir string) error {
	if t.API != nil {
		if err := t.API.resolve(dir); err != nil {
			return fmt.Errorf("tls.api: %w", err)
		}
	}
	seen := map[string]bool{}
	for i := range t.Certificates {
		c := &t.Certificates[i]
		if !isARN(c.ARN) {
			return fmt.Errorf("tls.certificates[%d]: arn %q is not an ARN (arn:partition:service:region:account:resource)", i, c.ARN)
		}
		if seen[c.ARN] {
			return fmt.Errorf("tls.certificates[%d]: arn %q is listed twice", i, c.ARN)
		}
		seen[c.ARN] = true
		if err := c.resolve(dir); err != nil {
			return fmt.Errorf("tls.certificates[%d] (%s): %w", i, c.ARN, err)
		}
	}
	return nil
}

// resolve checks that both files are named and makes them absolute.
func (k *KeyPair) resolve(dir string) error {
	if k.CertFile == "" || k.KeyFile == "" {
		return fmt.Errorf("both certFile and keyFile must be set")
	}
	if !filepath.IsAbs(k.CertFile) {
		k.CertFile = filepath.Join(dir, k.CertFile)
	}
	if !filepath.IsAbs(k.KeyFile) {
		k.KeyFile = filepath.Join(dir, k.KeyFile)
	}
	return nil
}

// isARN reports whether s has the six colon-separated parts of an ARN,
// with a service and a resource.
func isARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" && parts[5] != ""
}
