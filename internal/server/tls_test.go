package server

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/certs/certstest"
	"github.com/cutover/cutover/internal/config"
)

func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	ca := certstest.NewCA(t)
	ca.WritePair(t, filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key"), 1)
	ca.WritePair(t, filepath.Join(dir, "www.crt"), filepath.Join(dir, "www.key"), 2)
	const arn = "arn:aws:acm:us-east-1:123456789012:certificate/www"
	doc := "tls:\n  api: {certFile: api.crt, keyFile: api.key}\n  certificates:\n    - {arn: '" + arn + "', certFile: www.crt, keyFile: www.key}\n"
	file, err := config.Parse([]byte(doc), dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	s, err := newServerTLS(file, log)
	if err != nil {
		t.Fatal(err)
	}
	if cf, kf, ok := s.files(arn); !ok || cf != filepath.Join(dir, "www.crt") || kf != filepath.Join(dir, "www.key") {
		t.Fatalf("files(%s) = %s, %s, %v", arn, cf, kf, ok)
	}
	if _, _, ok := s.files("arn:aws:acm:us-east-1:123456789012:certificate/other"); ok {
		t.Fatal("files found an unknown ARN")
	}
	if s.scheme() != "https" {
		t.Fatalf("scheme %s", s.scheme())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })}
	go s.serve(srv, ln)
	defer srv.Close()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if string(body) != "HTTP/2.0" || res.TLS.PeerCertificates[0].SerialNumber.Int64() != 1 {
		t.Fatalf("got %q with serial %d, want HTTP/2.0 with serial 1", body, res.TLS.PeerCertificates[0].SerialNumber)
	}

	// Without a tls section the API serves plain HTTP.
	plain, err := newServerTLS(&config.Config{}, log)
	if err != nil || plain.api != nil || plain.scheme() != "http" {
		t.Fatalf("no tls section: %+v, %v", plain, err)
	}
}

func TestServerTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	ca := certstest.NewCA(t)
	ca.WritePair(t, filepath.Join(dir, "ok.crt"), filepath.Join(dir, "ok.key"), 1)
	if err := os.WriteFile(filepath.Join(dir, "bad.crt"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ doc, want string }{
		"missing API key":    {"tls:\n  api: {certFile: ok.crt, keyFile: nope.key}\n", "tls.api: no certificate loaded: read key: open " + filepath.Join(dir, "nope.key")},
		"broken certificate": {"tls:\n  certificates:\n    - {arn: 'arn:aws:acm:r:1:certificate/x', certFile: bad.crt, keyFile: ok.key}\n", "tls.certificates[0] (arn:aws:acm:r:1:certificate/x)"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			file, err := config.Parse([]byte(c.doc), dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = newServerTLS(file, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
