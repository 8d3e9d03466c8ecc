package certs_test

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/certs"
	"github.com/cutover/cutover/internal/certs/certstest"
	"github.com/cutover/cutover/internal/testclock"
)

// fixture is a certificate pair on disk and a Reloader of it.
type fixture struct {
	ca                *certstest.CA
	certFile, keyFile string
	clock             *testclock.Clock
	r                 *certs.Reloader
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	f := &fixture{ca: certstest.NewCA(t), certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key"),
		clock: testclock.New(time.Now())}
	f.r = certs.New(f.certFile, f.keyFile, certs.Options{CheckInterval: 5 * time.Second, Now: f.clock.Now})
	return f
}

// serial returns the serial number of the certificate a handshake gets.
func (f *fixture) serial(t *testing.T) int64 {
	t.Helper()
	c, err := f.r.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber.Int64()
}

func TestLoad(t *testing.T) {
	f := newFixture(t)
	f.ca.WritePair(t, f.certFile, f.keyFile, 1)
	if err := f.r.Load(); err != nil {
		t.Fatal(err)
	}
	if got := f.serial(t); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	if err := f.r.Err(); err != nil {
		t.Fatalf("Err after a good load: %v", err)
	}
}

func TestFirstHandshakeLoads(t *testing.T) {
	f := newFixture(t)
	f.ca.WritePair(t, f.certFile, f.keyFile, 7)
	if got := f.serial(t); got != 7 {
		t.Fatalf("serial %d, want 7", got)
	}
}

func TestReloadAfterReplace(t *testing.T) {
	f := newFixture(t)
	f.ca.WritePair(t, f.certFile, f.keyFile, 1)
	if err := f.r.Load(); err != nil {
		t.Fatal(err)
	}
	f.ca.WritePair(t, f.certFile, f.keyFile, 2)
	if got := f.serial(t); got != 1 {
		t.Fatalf("serial %d before the check interval passed, want 1 (the files are checked at most every 5s)", got)
	}
	f.clock.Advance(5 * time.Second)
	if got := f.serial(t); got != 2 {
		t.Fatalf("serial %d after the files were replaced, want 2", got)
	}
	// Rewritten with the same content: still served, nothing reparsed.
	b, _ := os.ReadFile(f.certFile)
	certstest.WriteFile(t, f.certFile, b)
	f.clock.Advance(5 * time.Second)
	if got := f.serial(t); got != 2 {
		t.Fatalf("serial %d after a same-content rewrite, want 2", got)
	}
}

func TestBadFilesKeepTheLastGoodCertificate(t *testing.T) {
	otherKey := func(t *testing.T, f *fixture) {
		_, key := f.ca.Issue(t, 99)
		certstest.WriteFile(t, f.keyFile, key)
	}
	cases := []struct {
		name  string
		spoil func(t *testing.T, f *fixture)
		want  string
	}{
		{"garbage certificate", func(t *testing.T, f *fixture) { certstest.WriteFile(t, f.certFile, []byte("not a certificate")) }, "tls.crt"},
		{"key of another certificate", otherKey, "private key does not match public key"},
		{"missing key", func(t *testing.T, f *fixture) { os.Remove(f.keyFile) }, "read key"},
		{"half-written renewal", func(t *testing.T, f *fixture) {
			cert, _ := f.ca.Issue(t, 3)
			certstest.WriteFile(t, f.certFile, cert) // the key is not replaced yet
		}, "private key does not match public key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.ca.WritePair(t, f.certFile, f.keyFile, 1)
			if err := f.r.Load(); err != nil {
				t.Fatal(err)
			}
			c.spoil(t, f)
			f.clock.Advance(5 * time.Second)
			if got := f.serial(t); got != 1 {
				t.Fatalf("serial %d with broken files, want the last good 1", got)
			}
			err := f.r.Err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Err = %v, want it to mention %q", err, c.want)
			}
			if errors.Is(err, certs.ErrNoCertificate) {
				t.Fatalf("Err = %v: a certificate is loaded", err)
			}
			if err := f.r.Load(); err == nil {
				t.Fatal("Load of broken files succeeded")
			}
			// Fixed files are picked up at the next check.
			f.ca.WritePair(t, f.certFile, f.keyFile, 4)
			f.clock.Advance(5 * time.Second)
			if got := f.serial(t); got != 4 {
				t.Fatalf("serial %d after the files were fixed, want 4", got)
			}
			if err := f.r.Err(); err != nil {
				t.Fatalf("Err after the files were fixed: %v", err)
			}
		})
	}
}

func TestNoCertificate(t *testing.T) {
	f := newFixture(t)
	err := f.r.Load()
	if !errors.Is(err, certs.ErrNoCertificate) || !strings.Contains(err.Error(), f.certFile) {
		t.Fatalf("Load of missing files: %v, want ErrNoCertificate naming %s", err, f.certFile)
	}
	if _, err := f.r.GetCertificate(&tls.ClientHelloInfo{}); !errors.Is(err, certs.ErrNoCertificate) {
		t.Fatalf("GetCertificate without files: %v, want ErrNoCertificate", err)
	}
	// The files appear later: the next check after the interval finds them.
	f.ca.WritePair(t, f.certFile, f.keyFile, 5)
	f.clock.Advance(5 * time.Second)
	if got := f.serial(t); got != 5 {
		t.Fatalf("serial %d once the files exist, want 5", got)
	}
}

// TestHandshake serves TLS with GetCertificate and checks that a client
// trusting the CA sees the renewed certificate on a new connection.
func TestHandshake(t *testing.T) {
	f := newFixture(t)
	f.ca.WritePair(t, f.certFile, f.keyFile, 1)
	if err := f.r.Load(); err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{GetCertificate: f.r.GetCertificate})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	dial := func() int64 {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := dial(); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	f.ca.WritePair(t, f.certFile, f.keyFile, 2)
	f.clock.Advance(5 * time.Second)
	if got := dial(); got != 2 {
		t.Fatalf("serial %d after renewal, want 2", got)
	}
}

// TestConcurrentHandshakes runs handshakes while the files are replaced
// (with -race).
func TestConcurrentHandshakes(t *testing.T) {
	f := newFixture(t)
	f.ca.WritePair(t, f.certFile, f.keyFile, 1)
	if err := f.r.Load(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if _, err := f.r.GetCertificate(&tls.ClientHelloInfo{}); err != nil {
					t.Error(err)
					return
				}
				f.clock.Advance(100 * time.Millisecond)
			}
		})
	}
	for i := range 5 {
		f.ca.WritePair(t, f.certFile, f.keyFile, int64(10+i))
	}
	wg.Wait()
	f.clock.Advance(5 * time.Second)
	if got := f.serial(t); got != 14 {
		t.Fatalf("serial %d, want the last written 14", got)
	}
}
