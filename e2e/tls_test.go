package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/certs/certstest"
)

// tlsCertificateARN is the listener certificate the test configures.
const tlsCertificateARN = "arn:aws:acm:us-east-1:123456789012:certificate/www"

// TestTLS serves the API over HTTPS and an HTTPS listener, both with
// certificates from files the configuration names, drives them with the
// aws CLI and a Go client trusting the test CA, then renews both
// certificates on disk and checks that new connections get the renewed
// ones while every process keeps running.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := certstest.NewCA(t)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	apiCert, apiKey := filepath.Join(dir, "tls", "api.crt"), filepath.Join(dir, "tls", "api.key")
	wwwCert, wwwKey := filepath.Join(dir, "tls", "www.crt"), filepath.Join(dir, "tls", "www.key")
	ca.WritePair(t, apiCert, apiKey, 1)
	ca.WritePair(t, wwwCert, wwwKey, 10)
	// Relative paths: from the configuration file's directory.
	conf := fmt.Sprintf("tls:\n  api: {certFile: tls/api.crt, keyFile: tls/api.key}\n  certificates:\n    - {arn: %q, certFile: tls/www.crt, keyFile: tls/www.key}\n", tlsCertificateARN)
	confFile := filepath.Join(dir, "cutover.yaml")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	s := startTLSServer(t, ca.Pool(), "--config", confFile)
	pid := s.cmd.Process.Pid
	aws := func(args ...string) map[string]any {
		t.Helper()
		out, err := s.awsWith(awsOptions{caBundle: caFile}, args...)
		if err != nil {
			t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
		}
		return out
	}

	lbArn := path(aws("elbv2", "create-load-balancer", "--name", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	tg := path(aws("elbv2", "create-target-group", "--name", "blue", "--protocol", "HTTP", "--port", "80", "--target-type", "ip"),
		"TargetGroups", 0, "TargetGroupArn").(string)
	host, port := backend(t, "blue")
	aws("elbv2", "register-targets", "--target-group-arn", tg, "--targets", fmt.Sprintf("Id=%s,Port=%d", host, port))
	_, lport, _ := net.SplitHostPort(freeAddr(t))

	// A certificate the configuration does not name is refused.
	_, err := s.awsWith(awsOptions{caBundle: caFile}, "elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTPS", "--port", lport,
		"--certificates", "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/other",
		"--default-actions", "Type=forward,TargetGroupArn="+tg)
	if err == nil || !strings.Contains(err.Error(), "CertificateNotFound") {
		t.Fatalf("create-listener with an unknown certificate: %v, want CertificateNotFound", err)
	}
	l := path(aws("elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTPS", "--port", lport,
		"--certificates", "CertificateArn="+tlsCertificateARN, "--default-actions", "Type=forward,TargetGroupArn="+tg), "Listeners", 0)
	listenerArn := path(l, "ListenerArn").(string)
	if got := path(l, "Certificates", 0, "CertificateArn"); got != tlsCertificateARN {
		t.Fatalf("listener certificate %v, want %s", got, tlsCertificateARN)
	}
	described := aws("elbv2", "describe-listeners", "--listener-arns", listenerArn)
	if got := path(described, "Listeners", 0, "SslPolicy"); got != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Fatalf("described SslPolicy %v, want the default", got)
	}
	if got := path(aws("elbv2", "describe-listener-certificates", "--listener-arn", listenerArn), "Certificates", 0, "IsDefault"); got != true {
		t.Fatalf("describe-listener-certificates: IsDefault %v", got)
	}

	// Traffic through the HTTPS listener, HTTP/2 included.
	lbURL := "https://127.0.0.1:" + lport + "/"
	var serial int64
	eventually(t, 30*time.Second, "the HTTPS listener forwarding to blue", func() bool {
		body, res, err := fetchTLS(ca.Pool(), lbURL)
		if err != nil || strings.TrimSpace(body) != "blue" {
			return false
		}
		if res.ProtoMajor != 2 {
			t.Fatalf("the client spoke %s to the HTTPS listener, want HTTP/2", res.Proto)
		}
		serial = res.TLS.PeerCertificates[0].SerialNumber.Int64()
		return true
	})
	if serial != 10 {
		t.Fatalf("the listener served certificate serial %d, want 10", serial)
	}
	if got := peerSerialTLS(t, ca.Pool(), s.addr); got != 1 {
		t.Fatalf("the API served certificate serial %d, want 1", got)
	}
	lbPID := s.lbPID(t)

	// Renew both certificates on disk; nothing is restarted.
	ca.WritePair(t, wwwCert, wwwKey, 11)
	ca.WritePair(t, apiCert, apiKey, 2)
	eventually(t, 30*time.Second, "the renewed listener certificate", func() bool {
		body, res, err := fetchTLS(ca.Pool(), lbURL)
		return err == nil && strings.TrimSpace(body) == "blue" && res.TLS.PeerCertificates[0].SerialNumber.Int64() == 11
	})
	eventually(t, 30*time.Second, "the renewed API certificate", func() bool { return peerSerialTLS(t, ca.Pool(), s.addr) == 2 })
	if s.cmd.Process.Pid != pid || syscall.Kill(pid, 0) != nil {
		t.Fatal("the server was restarted")
	}
	if got := s.lbPID(t); got != lbPID {
		t.Fatalf("the load balancer process changed from %s to %s", lbPID, got)
	}
	// The API still answers the aws CLI, over the renewed certificate.
	if got := path(aws("elbv2", "describe-listeners", "--load-balancer-arn", lbArn), "Listeners", 0, "Protocol"); got != "HTTPS" {
		t.Fatalf("describe-listeners after renewal: protocol %v", got)
	}
}

// startTLSServer is startServer for a server whose API serves HTTPS
// with a certificate pool trusts: it waits for /healthz over HTTPS.
func startTLSServer(t *testing.T, pool *x509.CertPool, args ...string) *server {
	s := &server{t: t, bin: binary(t), dataDir: t.TempDir(), addr: freeAddr(t), args: args, log: &bytes.Buffer{}}
	t.Cleanup(func() {
		s.kill()
		s.stopAllTasks()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log)
			if b, err := os.ReadFile(filepath.Join(s.dataDir, "lb", "lb.log")); err == nil {
				t.Logf("load balancer log:\n%s", b)
			}
		}
	})
	s.cmd = exec.Command(s.bin, append([]string{"server", "--listen", s.addr, "--data-dir", s.dataDir, "--log-level", "debug"}, s.args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if body, _, err := fetchTLS(pool, "https://"+s.addr+"/healthz"); err == nil && strings.TrimSpace(body) == "ok" {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy over HTTPS:\n%s", s.log)
	return nil
}

// fetchTLS GETs url on a new connection, trusting pool alone, and
// returns the body and the response (with its TLS state).
func fetchTLS(pool *x509.CertPool, url string) (string, *http.Response, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := http.Client{Transport: tr, Timeout: 5 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", nil, err
	}
	if res.StatusCode != http.StatusOK {
		return string(b), res, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return string(b), res, nil
}

// peerSerialTLS makes a TLS connection to addr and returns the serial
// number of the certificate presented.
func peerSerialTLS(t *testing.T, pool *x509.CertPool, addr string) int64 {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// lbPID returns the process ID of the server's load balancer process.
func (s *server) lbPID(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("pgrep", "-f", "lb --dir "+filepath.Join(s.dataDir, "lb")).Output()
	pids := strings.Fields(string(out))
	if err != nil || len(pids) != 1 {
		t.Fatalf("find the load balancer process: %v %q", err, out)
	}
	return pids[0]
}
