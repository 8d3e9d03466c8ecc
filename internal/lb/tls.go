package lb

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"

	"github.com/cutover/cutover/internal/certs"
)

// Listener protocols, as ELBv2 spells them.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
)

// DefaultSSLPolicy is the security policy of an HTTPS listener that names
// none, as in ELBv2.
const DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// sslPolicy is what cutover takes from an ELBv2 security policy: the
// TLS versions it allows. Cipher suites are Go's defaults for those
// versions, which only offer forward-secret AEAD suites first.
type sslPolicy struct{ min, max uint16 }

// sslPolicies are the ELBv2 predefined security policies HTTPS listeners
// accept. The TLS13 ones allow TLS 1.3; the older ones stop at TLS 1.2,
// as in ELBv2. FIPS and post-quantum variants are not offered.
var sslPolicies = map[string]sslPolicy{
	"ELBSecurityPolicy-TLS13-1-3-2021-06":      {tls.VersionTLS13, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-2-2021-06":      {tls.VersionTLS12, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-2-Res-2021-06":  {tls.VersionTLS12, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": {tls.VersionTLS12, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": {tls.VersionTLS12, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-1-2021-06":      {tls.VersionTLS11, tls.VersionTLS13},
	"ELBSecurityPolicy-TLS13-1-0-2021-06":      {tls.VersionTLS10, tls.VersionTLS13},
	"ELBSecurityPolicy-FS-1-2-Res-2020-10":     {tls.VersionTLS12, tls.VersionTLS12},
	"ELBSecurityPolicy-FS-1-2-Res-2019-08":     {tls.VersionTLS12, tls.VersionTLS12},
	"ELBSecurityPolicy-FS-1-2-2019-08":         {tls.VersionTLS12, tls.VersionTLS12},
	"ELBSecurityPolicy-FS-1-1-2019-08":         {tls.VersionTLS11, tls.VersionTLS12},
	"ELBSecurityPolicy-FS-2018-06":             {tls.VersionTLS10, tls.VersionTLS12},
	"ELBSecurityPolicy-TLS-1-2-Ext-2018-06":    {tls.VersionTLS12, tls.VersionTLS12},
	"ELBSecurityPolicy-TLS-1-2-2017-01":        {tls.VersionTLS12, tls.VersionTLS12},
	"ELBSecurityPolicy-TLS-1-1-2017-01":        {tls.VersionTLS11, tls.VersionTLS12},
	"ELBSecurityPolicy-2016-08":                {tls.VersionTLS10, tls.VersionTLS12},
	"ELBSecurityPolicy-2015-05":                {tls.VersionTLS10, tls.VersionTLS12},
	"ELBSecurityPolicy-TLS-1-0-2015-04":        {tls.VersionTLS10, tls.VersionTLS12},
}

// SSLPolicies returns the names of the security policies HTTPS listeners
// accept, sorted.
func SSLPolicies() []string {
	names := make([]string, 0, len(sslPolicies))
	for name := range sslPolicies {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// KnownSSLPolicy reports whether HTTPS listeners accept the security
// policy name.
func KnownSSLPolicy(name string) bool {
	_, ok := sslPolicies[name]
	return ok
}

// validateListenerTLS checks a listener's protocol and, for HTTPS, its
// certificate and policy.
func validateListenerTLS(l Listener) error {
	switch l.Protocol {
	case "", ProtocolHTTP:
		if l.TLS != nil {
			return errors.New("tls is set on an HTTP listener")
		}
		return nil
	case ProtocolHTTPS:
	default:
		return fmt.Errorf("protocol %q is not supported (HTTP or HTTPS)", l.Protocol)
	}
	if l.TLS == nil || l.TLS.CertificateARN == "" {
		return errors.New("an HTTPS listener needs a certificate")
	}
	if (l.TLS.CertFile == "") != (l.TLS.KeyFile == "") {
		return fmt.Errorf("certificate %q: certFile and keyFile go together", l.TLS.CertificateARN)
	}
	if p := l.TLS.SSLPolicy; p != "" && !KnownSSLPolicy(p) {
		return fmt.Errorf("unknown SSL policy %q", p)
	}
	return nil
}

// keyPair names the files of a certificate.
type keyPair struct{ certFile, keyFile string }

// tlsState holds what the HTTPS listeners share across Applies: one
// certificate reloader per pair of files, and one tls.Config per pair
// and policy (so that session tickets survive an Apply). Its zero value
// is ready; it is used under Balancer.mu.
type tlsState struct {
	reloaders map[keyPair]*certs.Reloader
	configs   map[ListenerTLS]*tls.Config // by ListenerTLS without its ARN
}

// attachTLS gives each HTTPS listener of the snapshot s its tls.Config,
// loading the certificates it has not loaded yet. A certificate that
// cannot be loaded does not fail the Apply: it is logged, the
// listener's handshakes fail with the reason, and its files are tried
// again at each check interval. Callers hold b.mu; s is not published
// yet.
func (b *Balancer) attachTLS(s *snapshot) {
	ts := &b.tls
	if ts.reloaders == nil {
		ts.reloaders, ts.configs = map[keyPair]*certs.Reloader{}, map[ListenerTLS]*tls.Config{}
	}
	for _, l := range s.cfg.Listeners {
		if l.Protocol != ProtocolHTTPS {
			continue
		}
		key := *l.TLS
		key.CertificateARN = ""
		if key.SSLPolicy == "" {
			key.SSLPolicy = DefaultSSLPolicy
		}
		conf := ts.configs[key]
		if conf == nil {
			conf = b.newTLSConfig(l.TLS, key)
			ts.configs[key] = conf
		}
		s.listeners[l.Address].tls = conf
	}
}

// newTLSConfig makes the tls.Config of an HTTPS listener; key is its
// ListenerTLS without ARN and with the policy defaulted.
func (b *Balancer) newTLSConfig(lt *ListenerTLS, key ListenerTLS) *tls.Config {
	p := sslPolicies[key.SSLPolicy]
	conf := &tls.Config{MinVersion: p.min, MaxVersion: p.max, NextProtos: []string{"h2", "http/1.1"}}
	if key.CertFile == "" {
		err := fmt.Errorf("certificate %s is not in the control plane's tls.certificates", lt.CertificateARN)
		b.log.Error("HTTPS listener without certificate files: its handshakes fail", "certificate", lt.CertificateARN)
		conf.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, err }
		return conf
	}
	pair := keyPair{key.CertFile, key.KeyFile}
	r := b.tls.reloaders[pair]
	if r == nil {
		r = certs.New(pair.certFile, pair.keyFile, certs.Options{CheckInterval: b.opts.CertificateCheckInterval, Logger: b.log.With("certificate", lt.CertificateARN)})
		if err := r.Load(); err != nil {
			b.log.Error("certificate not loaded: the handshakes of its listeners fail until its files are fixed", "certificate", lt.CertificateARN, "err", err)
		}
		b.tls.reloaders[pair] = r
	}
	conf.GetCertificate = r.GetCertificate
	return conf
}

// pruneTLS forgets the reloaders and configurations that no listener of
// the snapshot s uses. Callers hold b.mu.
func (b *Balancer) pruneTLS(s *snapshot) {
	used := map[*tls.Config]bool{}
	for _, l := range s.listeners {
		if l.tls != nil {
			used[l.tls] = true
		}
	}
	pairs := map[keyPair]bool{}
	for key, conf := range b.tls.configs {
		if !used[conf] {
			delete(b.tls.configs, key)
			continue
		}
		pairs[keyPair{key.CertFile, key.KeyFile}] = true
	}
	for pair := range b.tls.reloaders {
		if !pairs[pair] {
			delete(b.tls.reloaders, pair)
		}
	}
}

// bindListener binds address for either protocol: its connections are
// TLS or plain as the current snapshot's listener on address says when
// each is accepted, so that Apply changes a listener's protocol,
// certificate or policy without rebinding its port. HTTP/2 is offered
// over TLS (ALPN h2) and as h2c over plain connections.
func (b *Balancer) bindListener(address string) (*boundListener, error) {
	bl, err := b.bind(address)
	if err != nil {
		return nil, err
	}
	if bl.srv.Protocols != nil {
		bl.srv.Protocols.SetHTTP2(true)
	}
	return bl, nil
}
