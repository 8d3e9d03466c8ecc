package elbapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/awsquery"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// APIVersion is the ELBv2 API version requests name in Version.
const APIVersion = "2015-12-01"

// SigningName is the SigV4 service name ELBv2 requests are signed for.
const SigningName = "elasticloadbalancing"

// formContentType is the content type of query-protocol requests.
const formContentType = "application/x-www-form-urlencoded"

// maxBody bounds a request body.
const maxBody = 1 << 20

// Config configures the API.
type Config struct {
	Store store.Store
	ARNs  state.ARNs
	// LBAddress is the address every listener binds (the server's
	// --lb-address, a host or host:port); load balancers report its host
	// as their DNSName. Empty means 127.0.0.1.
	LBAddress string
	// Changed is called after each request that changed the load
	// balancer configuration, once its transaction has committed. It must
	// not block. Nil means no-op.
	Changed func()
	// Health reports the target health the data plane observes, for every
	// target group. Nil means no data plane: DescribeTargetHealth then
	// reports registered targets as initial (their group receives
	// traffic) or unused (it does not).
	Health func(ctx context.Context) ([]lb.TargetHealth, error)
	// Certificates are the ARNs of the certificates HTTPS listeners may
	// name (the server configuration's tls.certificates); any other ARN
	// is refused with CertificateNotFound.
	Certificates []string
	// Authenticate, optional, refuses requests whose caller it does not
	// accept (a bad signature); nil accepts every request.
	Authenticate audit.Authenticator
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID returns the ID of a new resource, 16 hexadecimal digits as in
	// AWS ARNs; nil means random IDs. Tests make them predictable.
	NewID  func() string
	Logger *slog.Logger
}

// API serves the ELBv2 API. Create it with New; it is an http.Handler.
type API struct {
	store   store.Store
	arns    state.ARNs
	dnsName string
	changed func()
	health  func(ctx context.Context) ([]lb.TargetHealth, error)
	certs   map[string]bool // Config.Certificates
	auth    audit.Authenticator
	now     func() time.Time
	newID   func() string
	log     *slog.Logger
	ops     map[string]handler
}

// handler runs one operation on its validated JSON input.
type handler func(ctx context.Context, body []byte) (any, error)

// New returns the API.
func New(cfg Config) *API {
	a := &API{
		store: cfg.Store, arns: cfg.ARNs, dnsName: state.LoadBalancerDNSName(cfg.LBAddress), changed: cfg.Changed,
		health: cfg.Health, auth: cfg.Authenticate, now: cfg.Now, newID: cfg.NewID, log: cfg.Logger,
	}
	a.certs = make(map[string]bool, len(cfg.Certificates))
	for _, arn := range cfg.Certificates {
		a.certs[arn] = true
	}
	if a.changed == nil {
		a.changed = func() {}
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.newID == nil {
		a.newID = randomID
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.ops = a.operations()
	return a
}

// randomID returns 16 random hexadecimal digits.
func randomID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Handles reports whether r is an ELBv2 request, from its headers alone
// so that the body stays unread for ServeHTTP. A request signed with
// SigV4 is ELBv2's when its credential scope names the service
// elasticloadbalancing (so other query-protocol services, such as
// CloudWatch, can share the endpoint); an unsigned one when it is a form
// POST without the X-Amz-Target header of the JSON protocols.
func Handles(r *http.Request) bool {
	if service, ok := awsquery.SigV4Service(r); ok {
		return service == SigningName
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && ct == formContentType
}

// op adapts a typed operation to a handler: the input, already checked
// against the model, is decoded into Req.
func op[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if err := json.Unmarshal(body, req); err != nil {
			return nil, validation("The request parameters cannot be read: %v", err)
		}
		return fn(ctx, req)
	}
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	name, resp, err := a.serve(r)
	log := a.log.With("op", name, "request", reqID)
	if err != nil {
		e := errorResponse(err)
		if e.Status >= http.StatusInternalServerError {
			log.Error("request failed", "err", err)
		} else {
			log.Debug("request refused", "code", e.Code, "message", e.Message)
		}
		awsquery.WriteError(w, namespace(), e.Status, e.Code, e.Message, reqID)
		return
	}
	result := ""
	if o, err := awsmodel.ELBv2().Operation(name); err == nil && o.Output != nil {
		result = o.Output.ResultWrapper
	}
	awsquery.WriteResponse(w, namespace(), name, result, reqID, resp)
}

// serve reads, decodes and runs one request; it returns the operation's
// name with its output or error.
func (a *API) serve(r *http.Request) (string, any, error) {
	if r.Method != http.MethodPost {
		return "", nil, &Error{Code: codeMethodNotAllow, Message: "The ELBv2 API takes POST requests.", Status: http.StatusMethodNotAllowed}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, &Error{Code: codeRequestTooBig, Message: "The request body is larger than 1 MiB.", Status: http.StatusRequestEntityTooLarge}
		}
		return "", nil, validation("The request body cannot be read.")
	}
	if a.auth != nil {
		if _, err := a.auth(r, body); err != nil {
			return "", nil, err
		}
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, validation("The request body is not form-encoded: %v", err)
	}
	name := params.Get("Action")
	if name == "" {
		return "", nil, apiErr(codeMissingAction, "The request must contain the parameter Action.")
	}
	h, ok := a.ops[name]
	if !ok {
		if _, err := awsmodel.ELBv2().Operation(name); err == nil {
			return name, nil, apiErr(codeInvalidAction, "cutover does not support the action %s.", name)
		}
		return name, nil, apiErr(codeInvalidAction, "The action %s is not valid for this web service.", name)
	}
	if v := params.Get("Version"); v != "" && v != APIVersion {
		return name, nil, apiErr(codeInvalidAction, "The action %s is not valid for version %s: cutover serves ELBv2 %s.", name, v, APIVersion)
	}
	o, _ := awsmodel.ELBv2().Operation(name)
	var input *awsmodel.Shape
	if o.Input != nil {
		input = o.Input.Shape
	}
	doc, err := awsquery.DecodeForm(input, params)
	var perr *awsquery.ParamError
	if errors.As(err, &perr) {
		return name, nil, validation("%s", perr.Message)
	}
	if err != nil {
		return name, nil, err
	}
	if err := awsmodel.ELBv2().ValidateJSONInput(name, doc); err != nil {
		return name, nil, err
	}
	resp, err := h(r.Context(), doc)
	return name, resp, err
}

// namespace is the XML namespace of ELBv2 answers.
func namespace() string { return awsmodel.ELBv2().Metadata.XMLNamespace }

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
