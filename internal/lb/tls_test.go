package lb

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/certs/certstest"
)

// tlsFixture is a test CA and a certificate pair on disk.
type tlsFixture struct {
	ca                *certstest.CA
	certFile, keyFile string
}

func newTLSFixture(t *testing.T, serial int64) *tlsFixture {
	t.Helper()
	dir := t.TempDir()
	f := &tlsFixture{ca: certstest.NewCA(t), certFile: filepath.Join(dir, "www.crt"), keyFile: filepath.Join(dir, "www.key")}
	f.ca.WritePair(t, f.certFile, f.keyFile, serial)
	return f
}

// listenerTLS is the fixture's certificate as an HTTPS listener uses it.
func (f *tlsFixture) listenerTLS(policy string) *ListenerTLS {
	return &ListenerTLS{CertificateARN: "arn:aws:acm:us-east-1:000000000000:certificate/www", CertFile: f.certFile, KeyFile: f.keyFile, SSLPolicy: policy}
}

// httpsListener is oneListener with its listener serving HTTPS.
func httpsListener(version uint64, lt *ListenerTLS, def Action, groups ...TargetGroup) Config {
	cfg := oneListener(version, def, groups...)
	cfg.Listeners[0].Protocol, cfg.Listeners[0].TLS = ProtocolHTTPS, lt
	return cfg
}

// httpsClient returns a client trusting the fixture's CA, speaking
// HTTP/1.1 and, when h2 is set, HTTP/2.
func (f *tlsFixture) httpsClient(t *testing.T, h2 bool, maxVersion uint16) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.ca.Pool(), MaxVersion: maxVersion}, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP1(true)
	tr.Protocols.SetHTTP2(h2)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// peerSerial makes a new TLS connection to addr and returns the serial
// number of the certificate the server presented.
func (f *tlsFixture) peerSerial(t *testing.T, addr string) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: f.ca.Pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestHTTPSListener(t *testing.T) {
	f := newTLSFixture(t, 1)
	be := newBackend(t, "blue", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-Proto")+" "+r.Proto)
	})
	b := newTestBalancer(t, Options{})
	mustApply(t, b, httpsListener(1, f.listenerTLS(""), forwardTo("blue"), group("blue", be.target())))
	url := "https://" + b.ListenerAddrs()["l1"] + "/"

	for _, c := range []struct {
		name  string
		h2    bool
		proto string
	}{{"HTTP/1.1", false, "HTTP/1.1"}, {"HTTP/2", true, "HTTP/2.0"}} {
		t.Run(c.name, func(t *testing.T) {
			res, err := f.httpsClient(t, c.h2, 0).Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || string(body) != "https HTTP/1.1" {
				t.Fatalf("got %d %q, want 200 %q (the target is reached over HTTP/1.1)", res.StatusCode, body, "https HTTP/1.1")
			}
			if res.Proto != c.proto {
				t.Fatalf("client spoke %s, want %s", res.Proto, c.proto)
			}
		})
	}

	// Plain HTTP to an HTTPS listener gets net/http's 400.
	status, body, _ := get(t, newClient(t), "http://"+b.ListenerAddrs()["l1"]+"/")
	if status != http.StatusBadRequest || !strings.Contains(body, "HTTPS") {
		t.Fatalf("plain HTTP to an HTTPS listener: %d %q", status, body)
	}
}

func TestHTTPSReloadsRenewedCertificate(t *testing.T) {
	f := newTLSFixture(t, 1)
	b := newTestBalancer(t, Options{CertificateCheckInterval: 20 * time.Millisecond})
	mustApply(t, b, httpsListener(1, f.listenerTLS(""), fixed(200, "ok")))
	addr := b.ListenerAddrs()["l1"]
	if got := f.peerSerial(t, addr); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}
	// An Apply that changes nothing about TLS keeps the reloader.
	mustApply(t, b, httpsListener(2, f.listenerTLS(""), fixed(200, "still ok")))
	f.ca.WritePair(t, f.certFile, f.keyFile, 2)
	eventually(t, "the renewed certificate served", func() bool { return f.peerSerial(t, addr) == 2 })

	// A broken renewal keeps the last good certificate.
	certstest.WriteFile(t, f.certFile, []byte("garbage"))
	time.Sleep(50 * time.Millisecond)
	if got := f.peerSerial(t, addr); got != 2 {
		t.Fatalf("serial %d after a broken renewal, want the last good 2", got)
	}
}

func TestListenerProtocolChangeKeepsThePort(t *testing.T) {
	f := newTLSFixture(t, 1)
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, fixed(200, "plain")))
	addr := b.ListenerAddrs()["l1"]
	if status, body, _ := get(t, newClient(t), "http://"+addr+"/"); status != 200 || body != "plain" {
		t.Fatalf("HTTP: %d %q", status, body)
	}
	mustApply(t, b, httpsListener(2, f.listenerTLS(""), fixed(200, "secure")))
	if got := b.ListenerAddrs()["l1"]; got != addr {
		t.Fatalf("listener moved from %s to %s", addr, got)
	}
	if status, body, _ := get(t, f.httpsClient(t, true, 0), "https://"+addr+"/"); status != 200 || body != "secure" {
		t.Fatalf("HTTPS: %d %q", status, body)
	}
	mustApply(t, b, oneListener(3, fixed(200, "plain again")))
	if status, body, _ := get(t, newClient(t), "http://"+addr+"/"); status != 200 || body != "plain again" {
		t.Fatalf("HTTP again: %d %q", status, body)
	}
	if len(b.tls.configs) != 0 || len(b.tls.reloaders) != 0 {
		t.Fatalf("TLS state kept after the last HTTPS listener left: %d configs, %d reloaders", len(b.tls.configs), len(b.tls.reloaders))
	}
}

func TestSSLPolicy(t *testing.T) {
	f := newTLSFixture(t, 1)
	b := newTestBalancer(t, Options{})
	mustApply(t, b, httpsListener(1, f.listenerTLS("ELBSecurityPolicy-TLS13-1-3-2021-06"), fixed(200, "ok")))
	url := "https://" + b.ListenerAddrs()["l1"] + "/"
	if _, err := f.httpsClient(t, false, tls.VersionTLS12).Get(url); err == nil {
		t.Fatal("a TLS 1.2 client was served by a TLS 1.3-only policy")
	}
	if status, _, _ := get(t, f.httpsClient(t, false, 0), url); status != 200 {
		t.Fatalf("TLS 1.3 client: %d", status)
	}
	mustApply(t, b, httpsListener(2, f.listenerTLS("ELBSecurityPolicy-TLS-1-2-2017-01"), fixed(200, "ok")))
	res, err := f.httpsClient(t, false, 0).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if v := res.TLS.Version; v != tls.VersionTLS12 {
		t.Fatalf("policy without TLS 1.3 negotiated %s", tls.VersionName(v))
	}
}

func TestHTTPSCertificateProblemsStayWithTheirListener(t *testing.T) {
	f := newTLSFixture(t, 1)
	b := newTestBalancer(t, Options{})
	cfg := oneListener(1, fixed(200, "plain"))
	missing := f.listenerTLS("")
	missing.CertFile, missing.KeyFile = filepath.Join(t.TempDir(), "nope.crt"), filepath.Join(t.TempDir(), "nope.key")
	unknown := &ListenerTLS{CertificateARN: "arn:aws:acm:us-east-1:000000000000:certificate/unknown"}
	cfg.Listeners = append(cfg.Listeners,
		Listener{ARN: "l2", Address: "127.0.0.2:0", Protocol: ProtocolHTTPS, TLS: missing, DefaultActions: []Action{fixed(200, "x")}},
		Listener{ARN: "l3", Address: "127.0.0.3:0", Protocol: ProtocolHTTPS, TLS: unknown, DefaultActions: []Action{fixed(200, "y")}})
	mustApply(t, b, cfg)
	addrs := b.ListenerAddrs()
	if status, body, _ := get(t, newClient(t), "http://"+addrs["l1"]+"/"); status != 200 || body != "plain" {
		t.Fatalf("the HTTP listener: %d %q", status, body)
	}
	for _, arn := range []string{"l2", "l3"} {
		// Not verifying: the server itself must refuse the handshake.
		c, err := tls.Dial("tcp", addrs[arn], &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			c.Close()
			t.Fatalf("listener %s without a loadable certificate completed a handshake", arn)
		}
		if !strings.Contains(err.Error(), "remote error") {
			t.Fatalf("listener %s: %v, want the server's alert", arn, err)
		}
	}
}

func TestValidateHTTPS(t *testing.T) {
	good := &ListenerTLS{CertificateARN: "arn:c", CertFile: "/c.crt", KeyFile: "/c.key"}
	cases := map[string]func(l *Listener){
		"HTTPS without certificate": func(l *Listener) { l.Protocol = ProtocolHTTPS },
		"HTTPS without ARN":         func(l *Listener) { l.Protocol, l.TLS = ProtocolHTTPS, &ListenerTLS{CertFile: "/c", KeyFile: "/k"} },
		"cert file without key": func(l *Listener) {
			l.Protocol, l.TLS = ProtocolHTTPS, &ListenerTLS{CertificateARN: "arn:c", CertFile: "/c"}
		},
		"unknown policy": func(l *Listener) {
			l.Protocol, l.TLS = ProtocolHTTPS, &ListenerTLS{CertificateARN: "arn:c", CertFile: "/c", KeyFile: "/k", SSLPolicy: "ELBSecurityPolicy-Nope"}
		},
		"TLS on HTTP":  func(l *Listener) { l.TLS = good },
		"TCP protocol": func(l *Listener) { l.Protocol = "TCP" },
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := oneListener(1, fixed(200, "ok"))
			spoil(&cfg.Listeners[0])
			if err := validate(cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("validate: %v, want ErrInvalidConfig", err)
			}
		})
	}
	cfg := oneListener(1, fixed(200, "ok"))
	cfg.Listeners[0].Protocol, cfg.Listeners[0].TLS = ProtocolHTTPS, good
	if err := validate(cfg); err != nil {
		t.Fatalf("a valid HTTPS listener: %v", err)
	}
	for _, p := range SSLPolicies() {
		if !KnownSSLPolicy(p) {
			t.Fatalf("policy %s listed but not known", p)
		}
	}
	if !KnownSSLPolicy(DefaultSSLPolicy) {
		t.Fatal("the default policy is not known")
	}
}
