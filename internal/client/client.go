package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultEndpoint is the server's address when none is given: where
// `cutover server` listens by default.
const DefaultEndpoint = "http://127.0.0.1:7400"

// Protocol constants of the JSON API.
const (
	// ECSTargetPrefix starts the X-Amz-Target header of the ECS operations.
	ECSTargetPrefix = "AmazonEC2ContainerServiceV20141113."
	// CutoverTargetPrefix starts the X-Amz-Target header of cutover's own
	// operations.
	CutoverTargetPrefix = "CutoverV1."
	// SigningService is the service name of the SigV4 signature.
	SigningService = "ecs"
	contentType    = "application/x-amz-json-1.1"
)

// maxResponse bounds the body of an API response read into memory.
const maxResponse = 64 << 20

// Options configures a Client.
type Options struct {
	// Endpoint is the server's base URL, such as http://127.0.0.1:7400;
	// empty means DefaultEndpoint.
	Endpoint string
	// Credentials sign every request with SigV4 (service "ecs"); nil
	// sends them unsigned. See LoadCredentials.
	Credentials aws.CredentialsProvider
	// Region is the region of the signature; empty means us-east-1.
	Region string
	// HTTPClient sends the requests; nil means a client without an
	// overall timeout (the event stream and log follows are long
	// requests; API calls are bounded by their context).
	HTTPClient *http.Client
	// UserAgent, optional, is sent as the User-Agent header.
	UserAgent string
	// Now is the clock of the signatures; nil means time.Now.
	Now func() time.Time
}

// Client calls a cutover server. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	creds     aws.CredentialsProvider
	region    string
	http      *http.Client
	signer    *v4.Signer
	userAgent string
	now       func() time.Time
}

// New returns a client of the server at o.Endpoint. It fails only when
// the endpoint is not an http or https URL.
func New(o Options) (*Client, error) {
	ep := o.Endpoint
	if ep == "" {
		ep = DefaultEndpoint
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http:// or https:// URL", ep)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, creds: o.Credentials, region: o.Region, http: o.HTTPClient,
		signer: v4.NewSigner(), userAgent: o.UserAgent, now: o.Now}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Endpoint returns the server's base URL.
func (c *Client) Endpoint() string { return c.base.String() }

// Signed reports whether the client signs its requests.
func (c *Client) Signed() bool { return c.creds != nil }

// url returns the URL of path, escaped and starting with a slash, with
// query q.
func (c *Client) url(escapedPath string, q url.Values) string {
	u := c.base.String() + escapedPath
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// Call runs the operation of the X-Amz-Target value target with request
// in, decoding the answer into out (which may be nil). An error answer
// is an *APIError.
func (c *Client) Call(ctx context.Context, target string, in, out any) error {
	body := []byte("{}")
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s request: %w", target, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/", nil), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", target)
	resp, err := c.do(ctx, req, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("read the answer to %s: %w", target, err)
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode the answer to %s: %w", target, err)
	}
	return nil
}

// ecsCall runs the ECS operation op.
func (c *Client) ecsCall(ctx context.Context, op string, in, out any) error {
	if err := c.Call(ctx, ECSTargetPrefix+op, in, out); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// cutoverCall runs cutover's operation op.
func (c *Client) cutoverCall(ctx context.Context, op string, in, out any) error {
	if err := c.Call(ctx, CutoverTargetPrefix+op, in, out); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// do signs req, whose body is body, when the client has credentials, and
// sends it.
func (c *Client) do(ctx context.Context, req *http.Request, body []byte) (*http.Response, error) {
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if c.creds != nil {
		creds, err := c.creds.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("get credentials to sign the request: %w", err)
		}
		sum := sha256.Sum256(body)
		if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), SigningService, c.region, c.now()); err != nil {
			return nil, fmt.Errorf("sign the request: %w", err)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reach the cutover server at %s: %w", c.base, unwrapURLError(err))
	}
	return resp, nil
}

// unwrapURLError drops the *url.Error around err, whose message repeats
// the method and URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// ecsOp runs the ECS operation op with request in (nil sends an empty
// one) and returns its answer.
func ecsOp[Resp, Req any](ctx context.Context, c *Client, op string, in *Req) (*Resp, error) {
	if in == nil {
		in = new(Req)
	}
	out := new(Resp)
	if err := c.ecsCall(ctx, op, in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// cutoverOp runs cutover's operation op with request in (nil sends an
// empty one) and returns its answer.
func cutoverOp[Resp, Req any](ctx context.Context, c *Client, op string, in *Req) (*Resp, error) {
	if in == nil {
		in = new(Req)
	}
	out := new(Resp)
	if err := c.cutoverCall(ctx, op, in, out); err != nil {
		return nil, err
	}
	return out, nil
}
