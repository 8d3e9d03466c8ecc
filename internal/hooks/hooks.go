package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultTimeout bounds one invocation when Config.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// MaxReplyBytes is the largest reply accepted, Lambda's limit for a
// synchronous response.
const MaxReplyBytes = 6 << 20

// Config configures an Invoker.
type Config struct {
	// Region is used for bare function names and as the SDK region.
	Region string
	// LambdaEndpoint, when set, is the base URL of a Lambda Invoke API
	// (e.g. `sam local start-lambda`'s http://127.0.0.1:3001, or the
	// Lambda runtime interface emulator's http://127.0.0.1:9000). When
	// empty, Lambda functions are invoked on AWS itself with the default
	// credential chain.
	LambdaEndpoint string
	// SigningSecret is the HMAC key of URL hooks' signature headers.
	SigningSecret []byte
	// Commands are local command hooks by Lambda function name.
	Commands map[string]Command
	// Timeout bounds one invocation; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives debug logs of invocations; nil discards them.
	Logger *slog.Logger
	// HTTPClient, optional, sends URL hooks' requests and Lambda Invoke
	// API calls.
	HTTPClient *http.Client
}

// Command is a local program standing in for a Lambda function. It gets
// the event on its standard input and writes the reply to its standard
// output; a non-zero exit status is a failed invocation.
type Command struct {
	// Argv is the program and its arguments.
	Argv []string
	// Dir is the working directory; empty means the server's.
	Dir string
	// Env is added to the server's environment.
	Env map[string]string
	// Timeout bounds one run; zero means Config.Timeout.
	Timeout time.Duration
}

// Invoker delivers hook events. It is safe for concurrent use.
type Invoker struct {
	region     string
	endpoint   string
	secret     []byte
	commands   map[string]Command
	timeout    time.Duration
	logger     *slog.Logger
	httpClient *http.Client
	// sdkHTTPClient is Config.HTTPClient for the Lambda client; nil means
	// the SDK's own.
	sdkHTTPClient *http.Client

	lambdaMu sync.Mutex
	lambda   *lambdaConn // made on first use
}

// New validates cfg and returns an Invoker. It does no I/O: AWS
// configuration and credentials are loaded on the first Lambda
// invocation.
func New(cfg Config) (*Invoker, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("hooks: negative timeout %s", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.LambdaEndpoint != "" {
		u, err := url.Parse(cfg.LambdaEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("hooks: lambda endpoint %q is not an http or https URL", cfg.LambdaEndpoint)
		}
	}
	commands := maps.Clone(cfg.Commands)
	for name, c := range commands {
		if err := validName(name); err != nil {
			return nil, fmt.Errorf("hooks: command %q: %w", name, err)
		}
		if len(c.Argv) == 0 || c.Argv[0] == "" {
			return nil, fmt.Errorf("hooks: command %q: empty argv", name)
		}
		if c.Timeout < 0 {
			return nil, fmt.Errorf("hooks: command %q: negative timeout %s", name, c.Timeout)
		}
		if c.Timeout == 0 {
			c.Timeout = cfg.Timeout
		}
		commands[name] = c
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Invoker{
		region:        cfg.Region,
		endpoint:      cfg.LambdaEndpoint,
		secret:        cfg.SigningSecret,
		commands:      commands,
		timeout:       cfg.Timeout,
		logger:        logger,
		httpClient:    httpClient,
		sdkHTTPClient: cfg.HTTPClient,
	}, nil
}

// Invoke delivers event to target and returns the reply body. Target is
// an http(s) URL, or a Lambda function as a full ARN, a name or
// NAME:QUALIFIER; a function with a configured command runs it. Invoke
// never retries and returns within the configured timeout; errors are
// short enough for a deployment's status reason, and can be checked with
// errors.Is for ErrTimeout, ErrReplyTooLarge, ErrFunctionError and
// ErrNoCredentials.
func (i *Invoker) Invoke(ctx context.Context, target string, event []byte) ([]byte, error) {
	start := time.Now()
	var reply []byte
	var err error
	if isURL(target) {
		reply, err = i.invokeURL(ctx, target, event)
	} else {
		var fn function
		if fn, err = parseFunction(target); err != nil {
			return nil, err
		}
		if c, ok := i.commands[fn.name]; ok {
			reply, err = i.runCommand(ctx, fn.name, c, event)
		} else {
			reply, err = i.invokeLambda(ctx, fn, event)
		}
	}
	if err == nil {
		i.logger.Debug("hook invoked", "target", target, "duration", time.Since(start), "replyBytes", len(reply))
	}
	return reply, err
}

func isURL(target string) bool {
	t := strings.ToLower(target)
	return strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://")
}

// function is a Lambda function named by a hook target.
type function struct {
	ref       string // the target as given, which the Invoke API accepts
	name      string
	qualifier string // version or alias, if any
	region    string // from a full ARN, else empty
}

// parseFunction parses a Lambda function reference: a full ARN
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], a partial
// ARN ACCOUNT:function:NAME[:QUALIFIER], or NAME[:QUALIFIER].
func parseFunction(target string) (function, error) {
	if strings.Contains(target, "://") {
		return function{}, fmt.Errorf("invalid hook target %q: URL hooks must be http or https", target)
	}
	fn := function{ref: target}
	parts := strings.Split(target, ":")
	var rest []string // NAME[:QUALIFIER]
	switch {
	case parts[0] == "arn":
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" ||
			parts[1] == "" || parts[3] == "" || parts[4] == "" {
			return function{}, fmt.Errorf("invalid hook target %q: not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)", target)
		}
		fn.region, rest = parts[3], parts[6:]
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 || parts[0] == "" {
			return function{}, fmt.Errorf("invalid hook target %q: not a Lambda function reference", target)
		}
		rest = parts[2:]
	case len(parts) <= 2:
		rest = parts
	default:
		return function{}, fmt.Errorf("invalid hook target %q: not a URL or a Lambda function name or ARN", target)
	}
	fn.name = rest[0]
	if err := validName(fn.name); err != nil {
		return function{}, fmt.Errorf("invalid hook target %q: %w", target, err)
	}
	if len(rest) == 2 {
		fn.qualifier = rest[1]
		if err := validQualifier(fn.qualifier); err != nil {
			return function{}, fmt.Errorf("invalid hook target %q: %w", target, err)
		}
	}
	return fn, nil
}

// validName checks a Lambda function name: 1 to 64 letters, digits,
// hyphens and underscores.
func validName(name string) error {
	if name == "" || len(name) > 64 || strings.TrimFunc(name, func(r rune) bool {
		return r == '-' || r == '_' || isAlnum(r)
	}) != "" {
		return fmt.Errorf("function name %q must be 1 to 64 letters, digits, hyphens or underscores", name)
	}
	return nil
}

// validQualifier checks a version or alias: 1 to 128 letters, digits,
// hyphens, underscores or dollar signs ($LATEST).
func validQualifier(q string) error {
	if q == "" || len(q) > 128 || strings.TrimFunc(q, func(r rune) bool {
		return r == '-' || r == '_' || r == '$' || isAlnum(r)
	}) != "" {
		return fmt.Errorf("qualifier %q must be a version or an alias", q)
	}
	return nil
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// failure turns err, met while invoking under ctx (bounded by timeout),
// into the error Invoke returns, prefix naming what was invoked.
func failure(ctx context.Context, prefix string, timeout time.Duration, err error) error {
	switch {
	case errors.Is(context.Cause(ctx), ErrTimeout):
		return fmt.Errorf("%s: %w after %s", prefix, ErrTimeout, timeout)
	case errors.Is(err, ErrReplyTooLarge):
		return fmt.Errorf("%s: %w", prefix, ErrReplyTooLarge)
	}
	return &wrapError{msg: prefix + ": " + summary(err), err: err}
}

// summary describes err briefly: an AWS API error by its code and
// message, a failed request by its cause without the method and URL.
func summary(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if msg := apiErr.ErrorMessage(); msg != "" {
			return apiErr.ErrorCode() + ": " + snippet([]byte(msg), 256, false)
		}
		return apiErr.ErrorCode()
	}
	// An error status without an AWS error in the body, such as the
	// HTML error page of a proxy in front of a Lambda endpoint.
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil && respErr.HTTPStatusCode() >= 300 {
		code := respErr.HTTPStatusCode()
		return strings.TrimSpace("HTTP "+strconv.Itoa(code)+" "+http.StatusText(code)) + ": " + summary(respErr.Err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed before the reply was complete"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return err.Error()
}

// cappedReader reads from r and fails with ErrReplyTooLarge once more than
// MaxReplyBytes have been read.
type cappedReader struct {
	r    io.Reader
	left int64
}

func newCappedReader(r io.Reader) *cappedReader {
	return &cappedReader{r: r, left: MaxReplyBytes}
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, ErrReplyTooLarge
	}
	return n, err
}
