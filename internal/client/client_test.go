package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

var signTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// protocolServer answers like the cutover API: it checks the protocol's
// headers, verifies the SigV4 signature when there is one by signing the
// same request again, and answers with reply.
type protocolServer struct {
	t     *testing.T
	creds aws.Credentials // the signer's, to verify with
	reply func(target string, body []byte) (status int, answer string)
	// seen records each request's target, body and Authorization header.
	seen []seenRequest
}

type seenRequest struct {
	target, body, auth string
}

func (p *protocolServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	p.seen = append(p.seen, seenRequest{target, string(body), r.Header.Get("Authorization")})
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		p.t.Errorf("request %s %s, Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		p.verify(r, body, auth)
	}
	status, answer := p.reply(target, body)
	w.Header().Set("x-amzn-RequestId", "req-1")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// verify signs a copy of r with the expected credentials and checks that
// it gets the same Authorization header.
func (p *protocolServer) verify(r *http.Request, body []byte, auth string) {
	p.t.Helper()
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+p.creds.AccessKeyID+"/20260301/us-west-2/ecs/aws4_request, ") {
		p.t.Errorf("Authorization %q: wrong scheme or scope", auth)
	}
	if got := r.Header.Get("X-Amz-Date"); got != "20260301T120000Z" {
		p.t.Errorf("X-Amz-Date %q", got)
	}
	cp, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for k, v := range r.Header {
		if k != "Authorization" && k != "X-Amz-Date" && k != "Accept-Encoding" && k != "User-Agent" {
			cp.Header[k] = v
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), p.creds, cp, hex.EncodeToString(sum[:]), "ecs", "us-west-2", signTime); err != nil {
		p.t.Fatal(err)
	}
	if want := cp.Header.Get("Authorization"); want != auth {
		p.t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
	}
}

func newTestClient(t *testing.T, p *protocolServer, creds aws.CredentialsProvider) *Client {
	t.Helper()
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c, err := New(Options{Endpoint: srv.URL + "/", Credentials: creds, Region: "us-west-2", Now: func() time.Time { return signTime }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCallsAreSignedWithSigV4(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDCLIENT", SecretAccessKey: "s3cret"}
	p := &protocolServer{t: t, creds: creds, reply: func(target string, body []byte) (int, string) {
		return 200, `{"serviceDeploymentArn":"arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/abc"}`
	}}
	c := newTestClient(t, p, credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""))
	ctx := context.Background()
	out, err := c.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentRequest{
		ServiceDeploymentArn: "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/abc", HookId: "h1", Action: "CONTINUE",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ServiceDeploymentArn == "" {
		t.Errorf("answer not decoded: %+v", out)
	}
	if _, err := c.EndServiceDeploymentBakeTime(ctx, &cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(p.seen) != 2 {
		t.Fatalf("%d requests", len(p.seen))
	}
	if p.seen[0].target != "AmazonEC2ContainerServiceV20141113.ContinueServiceDeployment" ||
		p.seen[1].target != "CutoverV1.EndServiceDeploymentBakeTime" {
		t.Errorf("targets %q, %q", p.seen[0].target, p.seen[1].target)
	}
	var sent map[string]string
	if err := json.Unmarshal([]byte(p.seen[0].body), &sent); err != nil || sent["hookId"] != "h1" || sent["action"] != "CONTINUE" {
		t.Errorf("request body %s", p.seen[0].body)
	}
	for _, s := range p.seen {
		if s.auth == "" {
			t.Errorf("%s was not signed", s.target)
		}
	}
}

func TestUnsignedWithoutCredentials(t *testing.T) {
	p := &protocolServer{t: t, reply: func(string, []byte) (int, string) { return 200, `{"clusterArns":["a"]}` }}
	c := newTestClient(t, p, nil)
	out, err := c.ListClusters(context.Background(), nil)
	if err != nil || len(out.ClusterArns) != 1 {
		t.Fatalf("ListClusters = %+v, %v", out, err)
	}
	if p.seen[0].auth != "" || p.seen[0].body != "{}" {
		t.Errorf("request %+v: want unsigned with an empty object", p.seen[0])
	}
	if c.Signed() {
		t.Error("Signed() with no credentials")
	}
}

func TestErrorsAreAWSShaped(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   APIError
	}{
		{"client", 400, `{"__type":"ClusterNotFoundException","message":"Cluster not found."}`,
			APIError{Type: "ClusterNotFoundException", Message: "Cluster not found.", Status: 400, RequestID: "req-1"}},
		{"server", 500, `{"__type":"ServerException","message":"The server encountered an internal error."}`,
			APIError{Type: "ServerException", Message: "The server encountered an internal error.", Status: 500, RequestID: "req-1"}},
		{"namespaced", 400, `{"__type":"com.amazonaws.ecs#InvalidParameterException","Message":"bad"}`,
			APIError{Type: "InvalidParameterException", Message: "bad", Status: 400, RequestID: "req-1"}},
		{"not json", 502, "Bad Gateway\n",
			APIError{Message: "Bad Gateway", Status: 502, RequestID: "req-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &protocolServer{t: t, reply: func(string, []byte) (int, string) { return tc.status, tc.body }}
			c := newTestClient(t, p, nil)
			_, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesRequest{Cluster: "demo", Services: []string{"web"}})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if *ae != tc.want {
				t.Errorf("got %+v, want %+v", *ae, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "DescribeServices: ") {
				t.Errorf("error %q does not name the operation", err)
			}
			if tc.want.Type != "" && !IsType(err, tc.want.Type) {
				t.Errorf("IsType(%q) is false", tc.want.Type)
			}
		})
	}
}

func TestUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(Options{Endpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListClusters(context.Background(), nil)
	var ae *APIError
	if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "reach the cutover server at "+url) {
		t.Errorf("error %v", err)
	}
}

func TestNewRefusesABadEndpoint(t *testing.T) {
	for _, ep := range []string{"127.0.0.1:7400", "ftp://x", "http://"} {
		if _, err := New(Options{Endpoint: ep}); err == nil {
			t.Errorf("New(%q) succeeded", ep)
		}
	}
	c, err := New(Options{})
	if err != nil || c.Endpoint() != DefaultEndpoint {
		t.Errorf("default endpoint %v, %v", c, err)
	}
}

// isolateAWSConfig points the AWS configuration at files of the test.
func isolateAWSConfig(t *testing.T, credentialsFile string) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	if credentialsFile == "" {
		credentialsFile = empty
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
}

func TestLoadCredentials(t *testing.T) {
	ctx := context.Background()
	t.Run("environment", func(t *testing.T) {
		isolateAWSConfig(t, "")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv("AWS_REGION", "eu-west-1")
		p, region, err := LoadCredentials(ctx, "")
		if err != nil || p == nil || region != "eu-west-1" {
			t.Fatalf("LoadCredentials = %v, %q, %v", p, region, err)
		}
		if c, _ := p.Retrieve(ctx); c.AccessKeyID != "AKIDENV" {
			t.Errorf("access key %q", c.AccessKeyID)
		}
	})
	t.Run("profile", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "credentials")
		os.WriteFile(f, []byte("[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s\n"), 0o600)
		isolateAWSConfig(t, f)
		p, _, err := LoadCredentials(ctx, "ops")
		if err != nil || p == nil {
			t.Fatalf("LoadCredentials = %v, %v", p, err)
		}
		if c, _ := p.Retrieve(ctx); c.AccessKeyID != "AKIDOPS" {
			t.Errorf("access key %q", c.AccessKeyID)
		}
		if _, _, err := LoadCredentials(ctx, "missing"); err == nil {
			t.Error("a missing profile is not an error")
		}
	})
	t.Run("none, without asking the instance metadata service", func(t *testing.T) {
		isolateAWSConfig(t, "")
		// Were IMDS asked, it would be here, and answer.
		imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("the instance metadata service was asked %s", r.URL)
		}))
		defer imds.Close()
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
		start := time.Now()
		p, _, err := LoadCredentials(ctx, "")
		if err != nil || p != nil {
			t.Errorf("LoadCredentials = %v, %v; want no credentials and no error", p, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
}
