package cwapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/awsquery"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Wire constants of the CloudWatch protocols.
const (
	// APIVersion is the version query requests name in Version.
	APIVersion = "2010-08-01"
	// SigningName is the SigV4 service name requests are signed for.
	SigningName = "monitoring"
	// TargetPrefix starts the X-Amz-Target header of JSON 1.0 requests.
	TargetPrefix = "GraniteServiceVersion20100801."
	// CBORPathPrefix starts the path of rpc-v2-cbor requests, which end
	// with the operation name.
	CBORPathPrefix = "/service/GraniteServiceVersion20100801/operation/"
)

// Content types of the protocols.
const (
	formContentType = "application/x-www-form-urlencoded"
	jsonContentType = "application/x-amz-json-1.0"
	cborContentType = "application/cbor"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// Metrics is where metric data comes from; *metrics.Store implements it.
type Metrics interface {
	// Query aggregates the series named exactly by namespace, name and
	// dims into one datapoint per period over [start, end), periods
	// aligned on start, leaving out periods without samples.
	Query(namespace, name string, dims []metrics.Dimension, start, end time.Time, period time.Duration) []metrics.Datapoint
	// List returns the series of namespace (all when empty) named name
	// (all when empty) whose dimensions include every one of dims (a
	// dimension without value matches any value), sorted.
	List(namespace, name string, dims []metrics.Dimension) []metrics.Series
}

var _ Metrics = (*metrics.Store)(nil)

// Config configures the API.
type Config struct {
	Store store.Store
	ARNs  state.ARNs
	// Metrics answers GetMetricStatistics, GetMetricData and ListMetrics;
	// nil means an empty store.
	Metrics Metrics
	// PromQL answers promql: expressions; nil when no Prometheus server
	// is configured (PutMetricAlarm and GetMetricData then refuse them).
	PromQL alarms.PromQL
	// Changed is called after a request changed an alarm, once its
	// transaction has committed (to evaluate it and wake the
	// controller). It must not block. Nil means no-op.
	Changed func()
	// Authenticate, optional, refuses requests whose caller it does not
	// accept (a bad signature); nil accepts every request.
	Authenticate audit.Authenticator
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// API serves the CloudWatch API. Create it with New; it is an
// http.Handler.
type API struct {
	store   store.Store
	arns    state.ARNs
	metrics Metrics
	promql  alarms.PromQL
	changed func()
	auth    audit.Authenticator
	now     func() time.Time
	log     *slog.Logger
	ops     map[string]handler
	// maxAlarms is MaxAlarms; tests lower it.
	maxAlarms int
}

// handler runs one operation on its validated JSON input; a nil output
// means the operation returns none.
type handler func(ctx context.Context, body []byte) (any, error)

// New returns the API.
func New(cfg Config) *API {
	a := &API{
		store: cfg.Store, arns: cfg.ARNs, metrics: cfg.Metrics, promql: cfg.PromQL,
		changed: cfg.Changed, auth: cfg.Authenticate, now: cfg.Now, log: cfg.Logger, maxAlarms: MaxAlarms,
	}
	if a.metrics == nil {
		a.metrics = metrics.NewStore(0, 0)
	}
	if a.changed == nil {
		a.changed = func() {}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.ops = a.operations()
	return a
}

// protocol is one of the three wire protocols CloudWatch speaks.
type protocol int

const (
	// protoCBOR is smithy-rpc-v2-cbor, the model's first protocol, which
	// the AWS CLI v1 (botocore 1.43) and newer SDKs use.
	protoCBOR protocol = iota
	// protoJSON is awsJson1_0 with X-Amz-Target.
	protoJSON
	// protoQuery is the form-encoded query protocol with XML answers.
	protoQuery
)

// detect tells the protocol of a request that Handles accepted and, for
// CBOR and JSON, its operation.
func detect(r *http.Request) (protocol, string) {
	if op, ok := strings.CutPrefix(r.URL.Path, CBORPathPrefix); ok {
		return protoCBOR, op
	}
	if op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix); ok {
		return protoJSON, op
	}
	return protoQuery, ""
}

// Handles reports whether r is a CloudWatch request: an rpc-v2-cbor path
// of the CloudWatch service, an X-Amz-Target of its JSON protocol, or a
// query request, told apart from other query services (ELBv2) by its
// SigV4 credential scope (service monitoring) or, unsigned, by
// Version=2010-08-01. For an unsigned form POST it reads the body to find
// the version and puts back what it read, so that the chosen handler
// reads the body whole.
func Handles(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, CBORPathPrefix) || strings.HasPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix) {
		return true
	}
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if service, ok := awsquery.SigV4Service(r); ok {
		return service == SigningName
	}
	if r.Method != http.MethodPost {
		return false
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != formContentType || r.Body == nil {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil {
		return false
	}
	params, err := url.ParseQuery(string(head))
	return err == nil && params.Get("Version") == APIVersion
}

// readCloser reads from r and closes c.
type readCloser struct {
	io.Reader
	c io.Closer
}

// Close closes the original body.
func (rc readCloser) Close() error { return rc.c.Close() }

// op adapts a typed operation to a handler: the input, already checked
// against the model, is decoded into Req.
func op[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if err := json.Unmarshal(body, req); err != nil {
			return nil, apiErr(codeValidation, "The request parameters cannot be read: %v", err)
		}
		resp, err := fn(ctx, req)
		if err != nil {
			return nil, err // not a typed nil: nil means "no output"
		}
		return resp, nil
	}
}

// op0 adapts a typed operation without output.
func op0[Req any](fn func(context.Context, *Req) error) handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if err := json.Unmarshal(body, req); err != nil {
			return nil, apiErr(codeValidation, "The request parameters cannot be read: %v", err)
		}
		return nil, fn(ctx, req)
	}
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	p, name := detect(r)
	name, resp, err := a.serve(r, p, name)
	log := a.log.With("op", name, "request", reqID)
	if err == nil {
		err = writeOutput(w, p, name, reqID, resp)
	}
	if err != nil {
		e := errorResponse(err, p)
		if e.Status >= http.StatusInternalServerError {
			log.Error("request failed", "err", err)
		} else {
			log.Debug("request refused", "code", e.Code, "message", e.Message)
		}
		writeError(w, p, e, reqID)
	}
}

// serve reads, decodes and runs one request; it returns the operation's
// name with its output or error.
func (a *API) serve(r *http.Request, p protocol, name string) (string, any, error) {
	if r.Method != http.MethodPost {
		return name, nil, &Error{Code: codeMethodNotAllow, Message: "The CloudWatch API takes POST requests.", Status: http.StatusMethodNotAllowed}
	}
	if p != protoQuery {
		if err := a.known(name); err != nil {
			return name, nil, err
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return name, nil, &Error{Code: codeRequestTooBig, Message: "The request body is larger than 1 MiB.", Status: http.StatusRequestEntityTooLarge}
		}
		return name, nil, apiErr(codeSerialization, "The request body cannot be read.")
	}
	if a.auth != nil {
		if _, err := a.auth(r, body); err != nil {
			return name, nil, err
		}
	}
	var doc []byte
	switch p {
	case protoCBOR:
		if doc, err = cborToJSON(body); err != nil {
			return name, nil, apiErr(codeSerialization, "The request body is not valid CBOR: %v", err)
		}
	case protoJSON:
		doc = body
		if len(bytes.TrimSpace(body)) == 0 {
			doc = []byte("{}")
		}
	case protoQuery:
		if name, doc, err = a.decodeQuery(body); err != nil {
			return name, nil, err
		}
	}
	if err := awsmodel.CloudWatch().ValidateJSONInput(name, doc); err != nil {
		return name, nil, err
	}
	resp, err := a.ops[name](r.Context(), doc)
	return name, resp, err
}

// known refuses an operation the API does not serve.
func (a *API) known(name string) error {
	if _, ok := a.ops[name]; ok {
		return nil
	}
	if _, err := awsmodel.CloudWatch().Operation(name); err == nil {
		return apiErr(codeInvalidAction, "cutover does not support the CloudWatch operation %s. It serves %s.", name, supported)
	}
	return apiErr(codeInvalidAction, "The action %s is not valid for this web service.", name)
}

// decodeQuery reads a query request: its action and the JSON form of its
// parameters.
func (a *API) decodeQuery(body []byte) (string, []byte, error) {
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, apiErr(codeValidation, "The request body is not form-encoded: %v", err)
	}
	name := params.Get("Action")
	if name == "" {
		return "", nil, apiErr(codeMissingAction, "The request must contain the parameter Action.")
	}
	if err := a.known(name); err != nil {
		return name, nil, err
	}
	if v := params.Get("Version"); v != "" && v != APIVersion {
		return name, nil, apiErr(codeInvalidAction, "The action %s is not valid for version %s: cutover serves CloudWatch %s.", name, v, APIVersion)
	}
	o, _ := awsmodel.CloudWatch().Operation(name)
	var input *awsmodel.Shape
	if o.Input != nil {
		input = o.Input.Shape
	}
	doc, err := awsquery.DecodeForm(input, params)
	return name, doc, err
}

// view runs fn in a read-only transaction.
func (a *API) view(ctx context.Context, fn func(state.Tx) error) error {
	return state.View(ctx, a.store, fn)
}

// update runs fn in a write transaction and reports the change once it
// has committed.
func (a *API) update(ctx context.Context, fn func(state.Tx) error) error {
	err := state.Update(ctx, a.store, fn)
	if err == nil {
		a.changed()
	}
	return err
}
