package controller_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/hooks"
)

// badEndpoint is a hook endpoint that misbehaves the same way whatever
// it is asked, so it serves as a URL hook and as a Lambda Invoke API.
type badEndpoint struct {
	name    string
	handler func(t *testing.T) http.HandlerFunc
	// urlReason and lambdaReason are what the deployment's statusReason
	// must contain when the endpoint is a URL hook or a Lambda endpoint;
	// empty skips that protocol.
	urlReason, lambdaReason string
	// timeout is the hook timeout; zero means 10s, which none should need.
	timeout time.Duration
}

var badEndpoints = []badEndpoint{
	{
		name: "hangs",
		handler: func(t *testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-t.Context().Done():
				}
			}
		},
		urlReason:    "timed out after 300ms",
		lambdaReason: "timed out after 300ms",
		timeout:      300 * time.Millisecond,
	},
	{
		// A reply that would pass if it were read whole.
		name: "answers a huge body",
		handler: func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"hookStatus":"SUCCEEDED","padding":"`))
				pad := bytes.Repeat([]byte("x"), 64<<10)
				for range hooks.MaxReplyBytes/len(pad) + 1 {
					if _, err := w.Write(pad); err != nil {
						return
					}
				}
				w.Write([]byte(`"}`))
			}
		},
		urlReason:    "reply larger than 6 MB",
		lambdaReason: "reply larger than 6 MB",
	},
	{
		name:         "closes the connection without answering",
		handler:      func(t *testing.T) http.HandlerFunc { return hijack(t, "") },
		urlReason:    "connection closed before the reply was complete",
		lambdaReason: "connection closed before the reply was complete",
	},
	{
		name:         "closes the connection mid-headers",
		handler:      func(t *testing.T) http.HandlerFunc { return hijack(t, "HTTP/1.1 200 OK\r\nContent-Type: appl") },
		urlReason:    "connection closed before the reply was complete",
		lambdaReason: "connection closed before the reply was complete",
	},
	{
		name: "closes the connection mid-body",
		handler: func(t *testing.T) http.HandlerFunc {
			return hijack(t, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n"+`{"hookStatus":"SUCC`)
		},
		urlReason:    "connection closed before the reply was complete",
		lambdaReason: "connection closed before the reply was complete",
	},
	{
		name:         "answers HTTP 500 with HTML",
		handler:      func(*testing.T) http.HandlerFunc { return htmlError(http.StatusInternalServerError) },
		urlReason:    "HTTP 500 Internal Server Error: <html><head><title>500 Internal Server Error</title>",
		lambdaReason: "HTTP 500 Internal Server Error: deserialization failed, failed to decode response body",
	},
	{
		name:         "answers HTTP 404 with HTML",
		handler:      func(*testing.T) http.HandlerFunc { return htmlError(http.StatusNotFound) },
		urlReason:    "HTTP 404 Not Found: <html><head><title>404 Not Found</title>",
		lambdaReason: "HTTP 404 Not Found: deserialization failed, failed to decode response body",
	},
	{
		name: "reports a function error",
		handler: func(*testing.T) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				w.Write([]byte(`{"errorMessage":"boom","errorType":"Error"}`))
			}
		},
		lambdaReason: "function error (Unhandled): Error: boom",
	},
}

// hijack answers a request by writing raw and closing the connection.
func hijack(t *testing.T, raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Read the request first: closing with unread bytes would reset
		// the connection rather than close it.
		io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		buf.WriteString(raw)
		buf.Flush()
	}
}

// htmlError answers with status and an HTML page, as a web server in
// front of a dead application would.
func htmlError(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		text := http.StatusText(status)
		io.WriteString(w, "<html><head><title>"+strconv.Itoa(status)+" "+text+"</title></head>\n<body><h1>"+text+"</h1>\n<hr><center>nginx</center></body></html>\n")
	}
}

// TestMisbehavingHookEndpointRollsBack: a hook endpoint that hangs, answers
// a huge body, closes the connection or answers an error page fails the
// hook cleanly, as a URL hook and as a Lambda function behind a Lambda
// endpoint: the deployment rolls back with a reason that says what went
// wrong, and v1 is steady again.
func TestMisbehavingHookEndpointRollsBack(t *testing.T) {
	for _, protocol := range []string{"url", "lambda"} {
		for _, ep := range badEndpoints {
			reason := ep.urlReason
			if protocol == "lambda" {
				reason = ep.lambdaReason
			}
			if reason == "" {
				continue
			}
			t.Run(protocol+" "+ep.name, func(t *testing.T) {
				srv := httptest.NewServer(ep.handler(t))
				t.Cleanup(srv.Close)
				cfg := hooks.Config{Timeout: ep.timeout}
				if cfg.Timeout == 0 {
					cfg.Timeout = 10 * time.Second
				}
				target := srv.URL + "/hook"
				if protocol == "lambda" {
					fixedAWSCredentials(t)
					cfg.LambdaEndpoint, target = srv.URL, "arn:aws:lambda:us-east-1:123456789012:function:my-hook"
				}
				h := newHarness(t)
				h.withHookConfig(cfg)
				h.rollsBackOn(target, reason)
			})
		}
	}
}

// fixedAWSCredentials gives the Lambda client fixed credentials and hides
// the AWS configuration of the machine running the tests.
func fixedAWSCredentials(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "cutover", "AWS_SECRET_ACCESS_KEY": "cutover", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_LAMBDA": "",
	} {
		t.Setenv(k, v)
	}
}
