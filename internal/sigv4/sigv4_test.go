package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	keyID  = "AKIAALICE0000000001"
	secret = "alice-secret-0000000001"
	body   = `{"cluster":"demo"}`
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func verifier() *Verifier {
	return &Verifier{
		Secret: func(id string) (string, bool) { return secret, id == keyID },
		Now:    func() time.Time { return now },
	}
}

// sdkSigned is a request as aws-sdk-go-v2 signs it at t.
func sdkSigned(t *testing.T, url, payload, key string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(payload))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListServices")
	sum := sha256.Sum256([]byte(payload))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: key}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "ecs", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerifiesTheGoSDK(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:7400/", "http://127.0.0.1:7400/a%20b/c?b=2&a=1&a=0&x=%2F~"} {
		r := sdkSigned(t, url, body, secret, now.Add(-time.Minute))
		cred, err := verifier().Verify(r, []byte(body))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if cred != (Credential{AccessKeyID: keyID, Region: "us-east-1", Service: "ecs"}) {
			t.Errorf("credential %+v", cred)
		}
	}
}

// TestVerifiesBotocore signs with botocore, what the aws CLI and boto3
// use, in a subprocess.
func TestVerifiesBotocore(t *testing.T) {
	const script = `
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
req = AWSRequest(method="POST", url=sys.argv[1], data=sys.argv[2].encode(),
    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "X-Amz-Target": "x"})
SigV4Auth(Credentials(sys.argv[3], sys.argv[4]), "elasticloadbalancing", "eu-west-1").add_auth(req)
print(json.dumps(dict(req.headers.items())))
`
	payload := "Action=DescribeLoadBalancers&Version=2015-12-01"
	url := "http://localhost:7400/"
	out, err := exec.Command("python3", "-c", script, url, payload, keyID, secret).Output()
	if err != nil {
		t.Skipf("botocore is not available: %v", err)
	}
	var headers map[string]string
	if err := json.Unmarshal(out, &headers); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, url, strings.NewReader(payload))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	amz, _ := time.Parse(amzDateFormat, headers["X-Amz-Date"])
	v := verifier()
	v.Now = func() time.Time { return amz }
	cred, err := v.Verify(r, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if cred.Service != "elasticloadbalancing" || cred.Region != "eu-west-1" {
		t.Errorf("credential %+v", cred)
	}
}

func TestRefuses(t *testing.T) {
	signed := func() *http.Request { return sdkSigned(t, "http://127.0.0.1:7400/", body, secret, now) }
	cases := []struct {
		name  string
		req   func() *http.Request
		body  string
		kind  Kind
		jtype string
	}{
		{"unsigned", func() *http.Request { return httptest.NewRequest("POST", "/", nil) }, body, Missing, "MissingAuthenticationTokenException"},
		{"wrong secret", func() *http.Request {
			return sdkSigned(t, "http://127.0.0.1:7400/", body, "not-the-secret-000000", now)
		}, body, BadSignature, "InvalidSignatureException"},
		{"tampered body", signed, `{"cluster":"other"}`, BadSignature, "InvalidSignatureException"},
		{"tampered signed header", func() *http.Request {
			r := signed()
			r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DeleteService")
			return r
		}, body, BadSignature, "InvalidSignatureException"},
		{"other host", func() *http.Request { r := signed(); r.Host = "evil.example:7400"; return r }, body, BadSignature, "InvalidSignatureException"},
		{"unknown key", func() *http.Request {
			r := signed()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), keyID, "AKIANOBODY000000000", 1))
			return r
		}, body, UnknownKey, "UnrecognizedClientException"},
		{"signed too long ago", func() *http.Request {
			return sdkSigned(t, "http://127.0.0.1:7400/", body, secret, now.Add(-16*time.Minute))
		}, body, Expired, "InvalidSignatureException"},
		{"signed ahead", func() *http.Request {
			return sdkSigned(t, "http://127.0.0.1:7400/", body, secret, now.Add(16*time.Minute))
		}, body, Expired, "InvalidSignatureException"},
		{"payload hash that lies", func() *http.Request {
			r := signed()
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			return r
		}, body, BadSignature, "InvalidSignatureException"},
		{"another algorithm", func() *http.Request {
			r := signed()
			r.Header.Set("Authorization", "AWS4-HMAC-SHA512 "+strings.TrimPrefix(r.Header.Get("Authorization"), Algorithm+" "))
			return r
		}, body, Incomplete, "IncompleteSignatureException"},
		{"host not signed", func() *http.Request {
			r := signed()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return r
		}, body, Incomplete, "IncompleteSignatureException"},
		{"scope without date", func() *http.Request {
			r := signed()
			r.Header.Set("Authorization", Algorithm+" Credential="+keyID+"/x/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
			return r
		}, body, Incomplete, "IncompleteSignatureException"},
		{"garbage", func() *http.Request { r := signed(); r.Header.Set("Authorization", Algorithm+" garbage"); return r }, body, Incomplete, "IncompleteSignatureException"},
		{"presigned", func() *http.Request { return httptest.NewRequest("GET", "/?X-Amz-Signature=00", nil) }, "", Incomplete, "IncompleteSignatureException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := verifier().Verify(c.req(), []byte(c.body))
			var e *Error
			if !errors.As(err, &e) || e.Kind != c.kind || e.JSONType() != c.jtype || e.Message == "" {
				t.Fatalf("Verify: %v, want %s", err, c.jtype)
			}
			if strings.Contains(e.Message, secret) {
				t.Errorf("the message shows the secret: %s", e.Message)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	r := sdkSigned(&testing.T{}, "http://127.0.0.1:7400/", body, secret, now)
	f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "/", body)
	f.Add(Algorithm+" Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=0", "x", "/%zz", "")
	f.Fuzz(func(t *testing.T, auth, date, path, payload string) {
		req, err := http.NewRequest("POST", "http://127.0.0.1:7400/", bytes.NewReader([]byte(payload)))
		if err != nil {
			return
		}
		req.URL.RawPath, req.URL.Path = path, path
		req.Header.Set("Authorization", auth)
		req.Header.Set("X-Amz-Date", date)
		_, err = verifier().Verify(req, []byte(payload))
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("not a signature error: %v", err)
		}
	})
}
