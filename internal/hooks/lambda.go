package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/logging"
)

// localRegion is the SDK region used with a Lambda endpoint when none is
// configured: local emulators ignore it, but the SDK needs one to sign.
const localRegion = "us-east-1"

// localCredentialsWait bounds the look for real credentials to sign
// requests to a Lambda endpoint with before falling back to fixed ones.
const localCredentialsWait = time.Second

// lambdaConn is the Lambda client of an Invoker.
type lambdaConn struct {
	client *lambda.Client
	// creds signs requests; on AWS, it is checked before each call so that
	// missing credentials give a clear error.
	creds aws.CredentialsProvider
	// region is the client's region: Config.Region or the SDK's default.
	region string
}

// lambdaConn returns the Invoker's Lambda client, made on first use. With
// an endpoint it signs with the default credentials found in the
// environment or shared files, never asking EC2 instance metadata, or
// with fixed ones: local emulators accept any signature.
func (i *Invoker) lambdaConn(ctx context.Context) (*lambdaConn, error) {
	i.lambdaMu.Lock()
	defer i.lambdaMu.Unlock()
	if i.lambda != nil {
		return i.lambda, nil
	}
	var opts []func(*config.LoadOptions) error
	if i.region != "" {
		opts = append(opts, config.WithRegion(i.region))
	}
	if i.endpoint != "" {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if i.endpoint == "" {
			return nil, fmt.Errorf("load AWS configuration: %w", err)
		}
		i.logger.Debug("no AWS configuration for the Lambda endpoint; using fixed credentials", "err", err)
		cfg = aws.Config{Region: i.region}
	}
	if i.endpoint != "" {
		if !haveCredentials(ctx, cfg.Credentials, localCredentialsWait) {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("cutover", "cutover", "")
		}
		if cfg.Region == "" {
			cfg.Region = localRegion
		}
	}
	var httpClient lambda.HTTPClient = awshttp.NewBuildableClient()
	if i.sdkHTTPClient != nil {
		httpClient = i.sdkHTTPClient
	}
	client := lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if i.endpoint != "" {
			o.BaseEndpoint = aws.String(i.endpoint)
		}
		// The caller decides whether to invoke again.
		o.Retryer = aws.NopRetryer{}
		o.RetryMaxAttempts = 0
		o.HTTPClient = cappedHTTPClient{httpClient}
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
			i.logger.Debug("aws sdk: " + fmt.Sprintf(format, v...))
		})
	})
	i.lambda = &lambdaConn{client: client, creds: cfg.Credentials, region: cfg.Region}
	return i.lambda, nil
}

// haveCredentials reports whether p yields credentials within wait.
func haveCredentials(ctx context.Context, p aws.CredentialsProvider, wait time.Duration) bool {
	if p == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	_, err := p.Retrieve(ctx)
	return err == nil
}

// invokeLambda calls the Lambda Invoke API (RequestResponse) for fn and
// returns the function's reply.
func (i *Invoker) invokeLambda(ctx context.Context, fn function, event []byte) ([]byte, error) {
	prefix := "invoking " + fn.ref
	ctx, cancel := context.WithTimeoutCause(ctx, i.timeout, ErrTimeout)
	defer cancel()
	conn, err := i.lambdaConn(ctx)
	if err != nil {
		return nil, failure(ctx, prefix, i.timeout, err)
	}
	if i.endpoint == "" {
		if conn.creds == nil {
			return nil, fmt.Errorf("%s: %w", prefix, ErrNoCredentials)
		}
		if _, err := conn.creds.Retrieve(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, failure(ctx, prefix, i.timeout, err)
			}
			return nil, &wrapError{msg: prefix + ": " + ErrNoCredentials.Error(), err: fmt.Errorf("%w: %w", ErrNoCredentials, err)}
		}
	}
	region := fn.region
	if region == "" {
		region = conn.region
	}
	if region == "" {
		return nil, fmt.Errorf("%s: no AWS region configured for a function given by name; give its full ARN", prefix)
	}
	out, err := conn.client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(fn.ref),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        event,
	}, func(o *lambda.Options) { o.Region = region })
	if err != nil {
		return nil, failure(ctx, prefix, i.timeout, err)
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("%s: %w (%s): %s", prefix, ErrFunctionError, snippet([]byte(*out.FunctionError), 64, false), functionErrorDetail(out.Payload))
	}
	if len(out.Payload) > MaxReplyBytes {
		return nil, fmt.Errorf("%s: %w", prefix, ErrReplyTooLarge)
	}
	return out.Payload, nil
}

// functionErrorDetail describes a function error from the payload Lambda
// answers with: {"errorMessage": "...", "errorType": "..."}.
func functionErrorDetail(payload []byte) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(payload, &e) != nil || e.ErrorMessage == "" && e.ErrorType == "" {
		if s := snippet(payload, 256, false); s != "" {
			return s
		}
		return "no details"
	}
	msg := snippet([]byte(e.ErrorMessage), 512, false)
	typ := snippet([]byte(e.ErrorType), 128, false)
	switch {
	case typ == "":
		return msg
	case msg == "":
		return typ
	}
	return typ + ": " + msg
}

// cappedHTTPClient makes the SDK fail with ErrReplyTooLarge on response
// bodies over MaxReplyBytes instead of reading them whole. It also gives
// each request a body the SDK cannot close under the transport (ownBody).
type cappedHTTPClient struct {
	c lambda.HTTPClient
}

func (c cappedHTTPClient) Do(req *http.Request) (*http.Response, error) {
	if err := ownBody(req); err != nil {
		return nil, err
	}
	resp, err := c.c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body = cappedBody{newCappedReader(resp.Body), resp.Body}
	return resp, nil
}

type cappedBody struct {
	io.Reader
	io.Closer
}

// ownBody gives req a request body of its own, read into memory (hook
// events are small). The SDK closes the body it built as soon as Do
// returns with the response headers, while the transport may still be
// finishing the request: after the last byte it copies the body once more
// to check for extra bytes, and the SDK's closed body answers that with
// io.EOF from WriteTo, which the transport takes for a write error and
// closes the connection, cutting the reply short mid-read ("use of closed
// network connection" instead of ErrReplyTooLarge or a whole reply).
func ownBody(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return fmt.Errorf("read the request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	return nil
}
