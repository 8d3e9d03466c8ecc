package hooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// noAWSEnv hides any AWS configuration and credentials of the machine
// running the tests.
func noAWSEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_MAX_ATTEMPTS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA",
	} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// lambdaTestTimeout is the hook timeout of Lambda tests that do not test
// timing out: a client's first call loads the AWS configuration and the
// SDK's first error decoding is slow too, over 200ms under the race
// detector on a busy machine.
const lambdaTestTimeout = 5 * time.Second

// invocation is what a fake Lambda Invoke API received.
type invocation struct {
	function, qualifier, invocationType, authorization string
	body                                               []byte
}

// fakeLambda is an httptest server implementing the Lambda Invoke API:
// POST /2015-03-31/functions/{name}/invocations. reply answers each
// invocation; it records what it received.
type fakeLambda struct {
	*httptest.Server
	mu   sync.Mutex
	seen []invocation
}

func newFakeLambda(t *testing.T, reply http.HandlerFunc) *fakeLambda {
	t.Helper()
	f := &fakeLambda{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, invocation{
			function:       r.PathValue("name"),
			qualifier:      r.URL.Query().Get("Qualifier"),
			invocationType: r.Header.Get("X-Amz-Invocation-Type"),
			authorization:  r.Header.Get("Authorization"),
			body:           body,
		})
		f.mu.Unlock()
		reply(w, r)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLambda) invocations() []invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]invocation(nil), f.seen...)
}

// echo answers with the event it was sent.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"hookStatus":"SUCCEEDED"}`))
}

func TestLambdaEndpoint(t *testing.T) {
	noAWSEnv(t)
	tests := []struct {
		target, region string
		wantFunction   string
		wantScope      string // the credential scope of the signature
	}{
		{"my-hook", "", "my-hook", "/us-east-1/lambda/aws4_request"},
		{"my-hook", "eu-central-1", "my-hook", "/eu-central-1/lambda/aws4_request"},
		{"my-hook:live", "eu-central-1", "my-hook:live", "/eu-central-1/lambda/aws4_request"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:my-hook:7", "eu-central-1",
			"arn:aws:lambda:eu-west-1:123456789012:function:my-hook:7", "/eu-west-1/lambda/aws4_request"},
	}
	for _, tt := range tests {
		t.Run(tt.target+" "+tt.region, func(t *testing.T) {
			f := newFakeLambda(t, echo)
			inv := newInvoker(t, Config{LambdaEndpoint: f.URL, Region: tt.region, Timeout: lambdaTestTimeout})
			reply, err := inv.Invoke(context.Background(), tt.target, testEvent)
			if err != nil {
				t.Fatal(err)
			}
			if string(reply) != `{"hookStatus":"SUCCEEDED"}` {
				t.Errorf("reply %q", reply)
			}
			seen := f.invocations()
			if len(seen) != 1 {
				t.Fatalf("%d invocations", len(seen))
			}
			got := seen[0]
			if got.function != tt.wantFunction || got.qualifier != "" {
				t.Errorf("function %q, qualifier %q; want %q", got.function, got.qualifier, tt.wantFunction)
			}
			if string(got.body) != string(testEvent) {
				t.Errorf("body %q", got.body)
			}
			if got.invocationType != string(types.InvocationTypeRequestResponse) {
				t.Errorf("X-Amz-Invocation-Type %q", got.invocationType)
			}
			if !strings.HasPrefix(got.authorization, "AWS4-HMAC-SHA256 Credential=cutover/") ||
				!strings.Contains(got.authorization, tt.wantScope) {
				t.Errorf("Authorization %q; want SigV4 with the fixed credentials and scope %s", got.authorization, tt.wantScope)
			}
		})
	}
}

func TestLambdaEndpointEnvCredentials(t *testing.T) {
	noAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	f := newFakeLambda(t, echo)
	inv := newInvoker(t, Config{LambdaEndpoint: f.URL, Timeout: lambdaTestTimeout})
	if _, err := inv.Invoke(context.Background(), "my-hook", testEvent); err != nil {
		t.Fatal(err)
	}
	if auth := f.invocations()[0].authorization; !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") {
		t.Errorf("Authorization %q; want the environment's credentials", auth)
	}
}

func TestLambdaErrors(t *testing.T) {
	tests := []struct {
		name    string
		reply   http.HandlerFunc
		want    string // the error after "invoking my-hook: "
		is      error
		timeout time.Duration // zero means lambdaTestTimeout
	}{
		{
			name: "function error",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				w.Write([]byte(`{"errorMessage":"boom","errorType":"Error","stackTrace":["at x"]}`))
			},
			want: "function error (Unhandled): Error: boom",
			is:   ErrFunctionError,
		},
		{
			name: "function error without details",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				w.Write([]byte("Task timed out after 3.00 seconds\n"))
			},
			want: "function error (Unhandled): Task timed out after 3.00 seconds",
			is:   ErrFunctionError,
		},
		{
			name: "function not found",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				w.Write([]byte(`{"Type":"User","Message":"Function not found: my-hook"}`))
			},
			want: "ResourceNotFoundException: Function not found: my-hook",
		},
		{
			name: "error page",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n"))
			},
			want: "HTTP 502 Bad Gateway: deserialization failed, failed to decode response body, invalid character '<' looking for beginning of value",
		},
		{
			name: "error page cut short",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte("<html>"))
			},
			want: "HTTP 503 Service Unavailable: connection closed before the reply was complete",
		},
		{
			name:    "hang",
			reply:   hang,
			want:    "timed out after 200ms",
			is:      ErrTimeout,
			timeout: 200 * time.Millisecond,
		},
		{
			name: "huge reply",
			reply: func(w http.ResponseWriter, r *http.Request) {
				w.Write(make([]byte, MaxReplyBytes+1))
			},
			want: "reply larger than 6 MB",
			is:   ErrReplyTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noAWSEnv(t)
			f := newFakeLambda(t, tt.reply)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = lambdaTestTimeout
			}
			inv := newInvoker(t, Config{LambdaEndpoint: f.URL, Timeout: timeout})
			start := time.Now()
			_, err := inv.Invoke(context.Background(), "my-hook", testEvent)
			if elapsed := time.Since(start); elapsed > timeout+time.Second {
				t.Errorf("took %s, with a timeout of %s", elapsed, timeout)
			}
			if want := "invoking my-hook: " + tt.want; err == nil || err.Error() != want {
				t.Fatalf("Invoke = %v\nwant error %q", err, want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
		})
	}
}

// TestLambdaLargeReplies invokes a function whose replies are at and just
// over MaxReplyBytes, many times: the first must come back whole and the
// second fail with ErrReplyTooLarge, every time. The SDK closes the request
// body as soon as the response headers arrive; when the transport was
// still finishing the request it closed the connection and cut the reply
// short, in about one call in three on a loaded machine.
func TestLambdaLargeReplies(t *testing.T) {
	noAWSEnv(t)
	reply := &fuzzReply{}
	f := newFakeLambda(t, reply.ServeHTTP)
	inv := newInvoker(t, Config{LambdaEndpoint: f.URL, Timeout: 10 * time.Second})
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1024)
	for i := range 15 {
		reply.set(http.StatusOK, chunk, MaxReplyBytes/len(chunk)-1, "")
		got, err := inv.Invoke(context.Background(), "my-hook", testEvent)
		if err != nil || len(got) != MaxReplyBytes {
			t.Fatalf("call %d: reply of %d bytes, error %v; want %d bytes", i, len(got), err, MaxReplyBytes)
		}
		reply.set(http.StatusOK, append(chunk, '!'), MaxReplyBytes/len(chunk)-1, "")
		got, err = inv.Invoke(context.Background(), "my-hook", testEvent)
		if !errors.Is(err, ErrReplyTooLarge) || got != nil {
			t.Fatalf("call %d: reply of %d bytes, error %v; want ErrReplyTooLarge", i, len(got), err)
		}
	}
}

func TestLambdaNoRetries(t *testing.T) {
	noAWSEnv(t)
	f := newFakeLambda(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "ServiceException")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"Message":"try again"}`))
	})
	inv := newInvoker(t, Config{LambdaEndpoint: f.URL, Timeout: lambdaTestTimeout})
	_, err := inv.Invoke(context.Background(), "my-hook", testEvent)
	if err == nil || err.Error() != "invoking my-hook: ServiceException: try again" {
		t.Fatalf("Invoke = %v", err)
	}
	if n := len(f.invocations()); n != 1 {
		t.Errorf("%d requests, want 1: the caller decides retries", n)
	}
}

func TestLambdaEndpointConnectionRefused(t *testing.T) {
	noAWSEnv(t)
	addr := closedAddr(t)
	inv := newInvoker(t, Config{LambdaEndpoint: "http://" + addr, Timeout: lambdaTestTimeout})
	_, err := inv.Invoke(context.Background(), "my-hook", testEvent)
	want := "invoking my-hook: dial tcp " + addr + ": connect: connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("Invoke = %v, want %q", err, want)
	}
}

func TestLambdaWithoutCredentials(t *testing.T) {
	noAWSEnv(t)
	inv := newInvoker(t, Config{Region: "eu-west-1", Timeout: 5 * time.Second})
	start := time.Now()
	_, err := inv.Invoke(context.Background(), "arn:aws:lambda:eu-west-1:123456789012:function:my-hook", testEvent)
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("Invoke = %v, want ErrNoCredentials", err)
	}
	want := "invoking arn:aws:lambda:eu-west-1:123456789012:function:my-hook: " +
		"no Lambda endpoint configured (cutover server --lambda-endpoint) and no AWS credentials found"
	if err.Error() != want {
		t.Errorf("error %q\nwant %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s", elapsed)
	}
}

func TestFunctionErrorDetail(t *testing.T) {
	tests := []struct{ payload, want string }{
		{`{"errorMessage":"boom","errorType":"Error"}`, "Error: boom"},
		{`{"errorMessage":"boom"}`, "boom"},
		{`{"errorType":"Runtime.ExitError"}`, "Runtime.ExitError"},
		{`{"other":1}`, `{"other":1}`},
		{``, "no details"},
		{`{"errorMessage":"` + strings.Repeat("m", 600) + `","errorType":"E"}`, "E: " + strings.Repeat("m", 512) + "…"},
	}
	for _, tt := range tests {
		if got := functionErrorDetail([]byte(tt.payload)); got != tt.want {
			t.Errorf("functionErrorDetail(%.40q) = %q, want %q", tt.payload, got, tt.want)
		}
	}
}
