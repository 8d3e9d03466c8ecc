// Package certs keeps a TLS certificate loaded from a pair of PEM files
// and reloads it when the files are replaced, so that a renewed
// certificate (certbot, an ACME client, a secrets agent) is served
// without a restart.
//
// A Reloader is what a tls.Config's GetCertificate calls. On a handshake
// it stats both files at most once per check interval; when either
// file's identity, size or modification time changed, it reads them
// again and, if their content differs from what it serves, parses the
// pair. A pair that does not parse (a half-written renewal, a key that
// does not match) is logged and the last good certificate stays in use
// until the files change again. Both the API endpoint (package server)
// and the load balancer's HTTPS listeners (package lb) use it.
package certs

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCheckInterval is how often, at most, the files are checked for
// a change when Options.CheckInterval is zero.
const DefaultCheckInterval = 2 * time.Second

// ErrNoCertificate means no certificate could be loaded yet from the
// files; the error wrapping it says why.
var ErrNoCertificate = errors.New("no certificate loaded")

// Options tune a Reloader. The zero value is usable.
type Options struct {
	// CheckInterval is the least time between two checks of the files
	// (DefaultCheckInterval when zero).
	CheckInterval time.Duration
	// Logger receives a line for every certificate loaded and every
	// failed reload; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Reloader serves the certificate of a certificate file and a key file,
// reloading it when the files change. Its methods are safe for
// concurrent use.
type Reloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger
	now               func() time.Time

	cert      atomic.Pointer[tls.Certificate]
	nextCheck atomic.Int64 // Unix nanoseconds before which no check happens

	mu    sync.Mutex // serializes checks and loads; guards the fields below
	stamp [2]stamp   // of the files when last read
	sum   [sha256.Size]byte
	err   error // of the last load; nil when it succeeded
}

// stamp identifies a version of a file without reading it.
type stamp struct {
	info os.FileInfo // nil when the file could not be stat'ed
}

// same reports whether s and o describe the same version of a file.
func (s stamp) same(o stamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// New returns a Reloader of the PEM files certFile (the certificate,
// then any intermediates) and keyFile (its private key). It reads
// nothing yet: call Load to find out whether the files are good now, or
// let the first handshake load them.
func New(certFile, keyFile string, opts Options) *Reloader {
	r := &Reloader{certFile: certFile, keyFile: keyFile, interval: opts.CheckInterval, log: opts.Logger, now: opts.Now}
	if r.interval <= 0 {
		r.interval = DefaultCheckInterval
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.log = r.log.With("certFile", certFile, "keyFile", keyFile)
	r.err = fmt.Errorf("%w from %s and %s: not read yet", ErrNoCertificate, certFile, keyFile)
	return r
}

// Load reads and parses the files now, whatever their stamps say. On
// success the new certificate is served from the next handshake on; on
// failure the last good certificate, if any, stays in use and the error
// says which file is wrong.
func (r *Reloader) Load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextCheck.Store(r.now().Add(r.interval).UnixNano())
	return r.load(r.stat(), true)
}

// Certificate returns the certificate to serve, reloading it first when
// the check interval has passed and the files changed. It fails only
// when no certificate was ever loaded; the error wraps
// ErrNoCertificate and the reason of the last failed load.
func (r *Reloader) Certificate() (*tls.Certificate, error) {
	now := r.now()
	if now.UnixNano() >= r.nextCheck.Load() {
		r.check(now)
	}
	if c := r.cert.Load(); c != nil {
		return c, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cert.Load(); c != nil {
		return c, nil
	}
	return nil, r.err
}

// GetCertificate is Certificate in the shape of tls.Config's
// GetCertificate: every name gets the same certificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.Certificate()
}

// Err returns the error of the last load, or nil when the certificate
// served is what the files hold now (as of the last check).
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// check reloads the files when they changed since they were last read.
func (r *Reloader) check(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.UnixNano() < r.nextCheck.Load() {
		return // another handshake checked meanwhile
	}
	r.nextCheck.Store(now.Add(r.interval).UnixNano())
	st := r.stat()
	if st[0].same(r.stamp[0]) && st[1].same(r.stamp[1]) && r.cert.Load() != nil {
		return
	}
	if err := r.load(st, false); err != nil {
		r.log.Error("certificate reload failed: serving the last good certificate", "err", err, "serving", r.cert.Load() != nil)
	}
}

// stat stamps both files.
func (r *Reloader) stat() [2]stamp {
	var st [2]stamp
	for i, name := range []string{r.certFile, r.keyFile} {
		if fi, err := os.Stat(name); err == nil {
			st[i].info = fi
		}
	}
	return st
}

// load reads and parses the files whose stamps are st. Unless force is
// set, content identical to the certificate served is not parsed again.
// Callers hold r.mu.
func (r *Reloader) load(st [2]stamp, force bool) error {
	r.stamp = st
	certPEM, err := os.ReadFile(r.certFile)
	if err != nil {
		return r.fail(fmt.Errorf("read certificate: %w", err))
	}
	keyPEM, err := os.ReadFile(r.keyFile)
	if err != nil {
		return r.fail(fmt.Errorf("read key: %w", err))
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if !force && r.err == nil && r.cert.Load() != nil && bytes.Equal(sum[:], r.sum[:]) {
		return nil // touched or copied over with the same content
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return r.fail(fmt.Errorf("parse %s and %s: %w", r.certFile, r.keyFile, err))
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return r.fail(fmt.Errorf("parse %s: %w", r.certFile, err))
		}
	}
	r.sum, r.err = sum, nil
	r.cert.Store(&cert)
	leaf := cert.Leaf
	log := r.log.With("subject", leaf.Subject.String(), "names", leaf.DNSNames, "serial", leaf.SerialNumber.String(), "notAfter", leaf.NotAfter)
	if now := r.now(); now.After(leaf.NotAfter) {
		log.Warn("certificate loaded, but it has expired")
	} else {
		log.Info("certificate loaded")
	}
	return nil
}

// fail records a failed load and returns its error. Callers hold r.mu.
func (r *Reloader) fail(err error) error {
	if r.cert.Load() == nil {
		err = fmt.Errorf("%w: %w", ErrNoCertificate, err)
	}
	r.err = err
	return err
}
