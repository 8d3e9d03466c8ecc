package elbapi

import (
	"context"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
)

// Model error shapes of HTTPS listeners.
const (
	errCertificateNotFound = "CertificateNotFoundException"
	errSSLPolicyNotFound   = "SSLPolicyNotFoundException"
)

// checkListenerProtocol refuses what cutover's listeners cannot serve and
// returns the certificates and security policy to store: none for HTTP;
// for HTTPS, the one default certificate, which must be one the server
// configuration names (tls.certificates), and the policy, by default
// lb.DefaultSSLPolicy.
func (a *API) checkListenerProtocol(p elbv2.ProtocolEnum, certs []elbv2.Certificate, sslPolicy string) ([]elbv2.Certificate, string, error) {
	switch p {
	case elbv2.ProtocolEnumHttp:
		if len(certs) > 0 || sslPolicy != "" {
			return nil, "", validation("Certificates and SSL policies cannot be specified for HTTP listeners.")
		}
		return nil, "", nil
	case elbv2.ProtocolEnumHttps:
	default:
		return nil, "", apiErr(errUnsupportedProtocol, "cutover listeners serve HTTP and HTTPS only, not '%s'.", p)
	}
	switch {
	case len(certs) == 0:
		return nil, "", validation("A certificate must be specified for HTTPS listeners.")
	case len(certs) > 1:
		return nil, "", validation("An HTTPS listener has exactly one default certificate; %d were specified.", len(certs))
	case certs[0].CertificateArn == "":
		return nil, "", validation("The certificate must have a CertificateArn.")
	}
	arn := certs[0].CertificateArn
	if !a.certs[arn] {
		return nil, "", apiErr(errCertificateNotFound, "Certificate '%s' not found: the server's configuration file names the certificates listeners can use, under tls.certificates.", arn)
	}
	if sslPolicy == "" {
		sslPolicy = lb.DefaultSSLPolicy
	} else if !lb.KnownSSLPolicy(sslPolicy) {
		return nil, "", apiErr(errSSLPolicyNotFound, "SSL policy '%s' not found.", sslPolicy)
	}
	return []elbv2.Certificate{{CertificateArn: arn}}, sslPolicy, nil
}

// DescribeListenerCertificatesInput is the model's
// DescribeListenerCertificatesInput shape (the generated types of
// package elbv2 do not cover the operation).
type DescribeListenerCertificatesInput struct {
	// ListenerArn is the Amazon Resource Name (ARN) of the listener.
	ListenerArn string `json:"ListenerArn,omitempty"`
	// Marker is the marker for the next set of results.
	Marker string `json:"Marker,omitempty"`
	// PageSize is the maximum number of results to return.
	PageSize *int32 `json:"PageSize,omitempty"`
}

// DescribeListenerCertificatesOutput is the model's
// DescribeListenerCertificatesOutput shape.
type DescribeListenerCertificatesOutput struct {
	// Certificates are the listener's certificates.
	Certificates []elbv2.Certificate `json:"Certificates,omitempty" xml:"Certificates>member,omitempty"`
	// NextMarker resumes the listing; empty when it is complete.
	NextMarker string `json:"NextMarker,omitempty" xml:"NextMarker,omitempty"`
}

// describeListenerCertificates lists a listener's certificates: its
// default certificate (IsDefault true) for an HTTPS listener, none for
// HTTP. cutover listeners have no certificate list besides the default.
func (a *API) describeListenerCertificates(ctx context.Context, req *DescribeListenerCertificatesInput) (*DescribeListenerCertificatesOutput, error) {
	var certs []elbv2.Certificate
	err := a.view(ctx, func(tx state.Tx) error {
		l, err := listener(tx, req.ListenerArn)
		if err != nil {
			return err
		}
		for _, c := range l.Certificates {
			certs = append(certs, elbv2.Certificate{CertificateArn: c.CertificateArn, IsDefault: elbv2.Bool(true)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	certs, next, err := page(certs, func(c elbv2.Certificate) string { return c.CertificateArn }, req.Marker, req.PageSize)
	if err != nil {
		return nil, err
	}
	return &DescribeListenerCertificatesOutput{Certificates: append([]elbv2.Certificate{}, certs...), NextMarker: next}, nil
}
