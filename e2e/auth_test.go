package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cutover/cutover/internal/cutoverapi"
)

const (
	aliceKey    = "AKIAALICE0000000001"
	aliceSecret = "alice-secret-please-change-0001"
)

// awsWithKey runs the aws CLI against s signed with the given access
// key; it returns what the CLI printed and whether it succeeded.
func awsWithKey(t *testing.T, s *server, key, secret string, args ...string) (string, bool) {
	t.Helper()
	out, err := s.awsWith(awsOptions{key: key, secret: secret}, args...)
	if err != nil {
		return err.Error(), false
	}
	return fmt.Sprint(out), true
}

// TestAccessKeys checks that with --access-keys every API call needs a
// valid signature by one of the keys, refused with AWS's error types in
// each protocol, and that the audit trail names the key's owner.
func TestAccessKeys(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(aliceKey+" "+aliceSecret+" alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--access-keys", keys)

	if out, ok := awsWithKey(t, s, aliceKey, aliceSecret, "ecs", "create-cluster", "--cluster-name", "demo"); !ok {
		t.Fatalf("alice's signed call is refused: %s", out)
	}
	refused := []struct {
		key, secret string
		args        []string
		want        string
	}{
		{aliceKey, "not-alice-secret-0000000001", []string{"ecs", "list-clusters"}, "InvalidSignatureException"},
		{"AKIAMALLORY00000001", aliceSecret, []string{"ecs", "list-clusters"}, "UnrecognizedClientException"},
		{aliceKey, "not-alice-secret-0000000001", []string{"elbv2", "describe-load-balancers"}, "SignatureDoesNotMatch"},
		{"AKIAMALLORY00000001", aliceSecret, []string{"elbv2", "describe-load-balancers"}, "InvalidClientTokenId"},
		{aliceKey, "not-alice-secret-0000000001", []string{"cloudwatch", "describe-alarms"}, "SignatureDoesNotMatch"},
	}
	for _, c := range refused {
		out, ok := awsWithKey(t, s, c.key, c.secret, c.args...)
		if ok || !strings.Contains(out, c.want) {
			t.Errorf("aws %v as %s: succeeded=%v, output %q; want %s", c.args, c.key, ok, out, c.want)
		}
	}
	// Unsigned: refused too, the ECS API in JSON and ELBv2 in XML.
	for _, c := range []struct{ target, contentType, body, want string }{
		{"AmazonEC2ContainerServiceV20141113.ListClusters", "application/x-amz-json-1.1", "{}", `"__type":"MissingAuthenticationTokenException"`},
		{"", "application/x-www-form-urlencoded", "Action=DescribeLoadBalancers&Version=2015-12-01", "<Code>MissingAuthenticationToken</Code>"},
	} {
		req, _ := http.NewRequest(http.MethodPost, s.url()+"/", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		if c.target != "" {
			req.Header.Set("X-Amz-Target", c.target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 403 || !strings.Contains(string(b), c.want) {
			t.Errorf("unsigned %s: %d %s, want %s", c.body, resp.StatusCode, b, c.want)
		}
	}

	// alice creates a service: the audit trail names her.
	awsWithKey(t, s, aliceKey, aliceSecret, "ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	if out, ok := awsWithKey(t, s, aliceKey, aliceSecret, "ecs", "create-service", "--cluster", "demo", "--service-name", "web",
		"--task-definition", "web:1", "--desired-count", "0"); !ok {
		t.Fatalf("create-service: %s", out)
	}
	var list cutoverapi.ListAuditRecordsResponse
	signedCall(t, s, cutoverapi.TargetPrefix+cutoverapi.OpListAuditRecords, cutoverapi.ListAuditRecordsRequest{Cluster: "demo", Service: "web"}, &list)
	if len(list.AuditRecords) != 1 || list.AuditRecords[0].Actor.Name != "alice" || list.AuditRecords[0].Action != cutoverapi.ActionCreateService {
		t.Errorf("audit trail %+v, want CreateService by alice", list.AuditRecords)
	}
	s.kill() // the log is complete, and no longer written to
	if strings.Contains(s.log.String(), aliceSecret) {
		t.Error("the server log shows alice's secret")
	}
}

// signedCall calls a JSON 1.1 operation signed as alice with
// aws-sdk-go-v2's signer and decodes the answer into out.
func signedCall(t *testing.T, s *server, target string, in, out any) {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, s.url()+"/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ecs", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", target, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// TestAccessKeysGuardLogsAndEvents checks that the event stream and the
// task logs, read with the API's credentials, refuse unsigned readers.
func TestAccessKeysGuardLogsAndEvents(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte(aliceKey+" "+aliceSecret+" alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--access-keys", keys)
	for _, p := range []string{"/cutover/v1/events", "/cutover/v1/logs/demo/t1/web"} {
		resp, err := http.Get(s.url() + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "MissingAuthenticationTokenException") {
			t.Errorf("unsigned GET %s: %d %s", p, resp.StatusCode, b)
		}
	}
}
