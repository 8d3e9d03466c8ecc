package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/cutover/cutover/internal/certs"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// serverTLS is what the configuration file's tls section gives the
// server: the API endpoint's TLS configuration and the certificates
// HTTPS listeners may name.
type serverTLS struct {
	// api is the API endpoint's TLS configuration; nil serves plain
	// HTTP.
	api *tls.Config
	// arns are the ARNs of the listener certificates (for elbapi).
	arns []string
	// files finds a listener certificate's files (for the data plane's
	// configuration, whose load balancer process reads them).
	files state.CertificateFiles
}

// newServerTLS loads every certificate the configuration names once, so
// that a missing or broken file stops the server now with an error that
// names it, rather than failing handshakes later. The API certificate
// is then reloaded when its files are replaced; the listener
// certificates are reloaded by the load balancer process.
func newServerTLS(file *config.Config, log *slog.Logger) (*serverTLS, error) {
	t := file.TLS
	out := &serverTLS{arns: t.ARNs()}
	out.files = func(arn string) (string, string, bool) {
		kp, ok := t.Certificate(arn)
		return kp.CertFile, kp.KeyFile, ok
	}
	for i, c := range t.Certificates {
		if err := certs.New(c.CertFile, c.KeyFile, certs.Options{}).Load(); err != nil {
			return nil, fmt.Errorf("tls.certificates[%d] (%s): %w", i, c.ARN, err)
		}
	}
	if t.API != nil {
		r := certs.New(t.API.CertFile, t.API.KeyFile, certs.Options{Logger: log.With("certificate", "api")})
		if err := r.Load(); err != nil {
			return nil, fmt.Errorf("tls.api: %w", err)
		}
		out.api = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
	}
	return out, nil
}

// scheme is the API endpoint's URL scheme.
func (s *serverTLS) scheme() string {
	if s.api != nil {
		return "https"
	}
	return "http"
}

// serve serves srv on ln, over TLS (HTTP/1.1 and HTTP/2) when the API
// has a certificate. It returns what Serve or ServeTLS return.
func (s *serverTLS) serve(srv *http.Server, ln net.Listener) error {
	if s.api == nil {
		return srv.Serve(ln)
	}
	srv.TLSConfig = s.api
	return srv.ServeTLS(ln, "", "") // the certificate comes from GetCertificate
}

// checkListeners logs the stored HTTPS listeners whose certificate the
// configuration no longer names: the load balancer serves them, but
// their handshakes fail until the certificate is configured again or
// the listener is changed.
func (s *serverTLS) checkListeners(ctx context.Context, st store.Store, log *slog.Logger) error {
	known := make(map[string]bool, len(s.arns))
	for _, arn := range s.arns {
		known[arn] = true
	}
	err := state.View(ctx, st, func(tx state.Tx) error {
		return tx.Listeners("", func(l *state.Listener) error {
			if l.Protocol != elbv2.ProtocolEnumHttps {
				return nil
			}
			for _, c := range l.Certificates {
				if !known[c.CertificateArn] {
					log.Error("an HTTPS listener's certificate is not in the configuration's tls.certificates: its handshakes fail",
						"listener", l.ListenerArn, "certificate", c.CertificateArn)
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("check the certificates of HTTPS listeners: %w", err)
	}
	return nil
}
