package ecsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// TargetPrefix starts the X-Amz-Target header of every ECS request.
const TargetPrefix = "AmazonEC2ContainerServiceV20141113."

// maxBody bounds a request body.
const maxBody = 4 << 20

// Config configures the API.
type Config struct {
	Store store.Store
	ARNs  state.ARNs
	// Changed is called after a request changed desired state, to wake
	// the controller for a whole pass. It must not block.
	Changed func()
	// ServiceChanged, optional, is called instead of Changed after a
	// request changed one service or its deployment (UpdateService,
	// StopServiceDeployment, ContinueServiceDeployment), with the
	// service's ARN: the controller reconciles that service alone at
	// once. It must not block.
	ServiceChanged func(serviceArn string)
	// Authenticate, optional, names (or refuses) the caller of each
	// request; without it every caller is audit.FromRequest's.
	Authenticate audit.Authenticator
	// LBAddress is the address the load balancer's listeners bind, for
	// the listener URLs of DescribeServiceDeploymentDetails.
	LBAddress string
	// TargetHealth, optional, reports the load balancer's view of every
	// target, for DescribeServiceDeploymentDetails.
	TargetHealth func(ctx context.Context) ([]lb.TargetHealth, error)
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// API serves the ECS API. Create it with New.
type API struct {
	store   store.Store
	arns    state.ARNs
	changed func()
	// serviceChanged is Config.ServiceChanged, or a call of changed.
	serviceChanged func(serviceArn string)
	auth           audit.Authenticator
	health         func(ctx context.Context) ([]lb.TargetHealth, error)
	lbHost         string
	now            func() time.Time
	log            *slog.Logger
	// ops and cutoverOps are the handlers of the ECS operations and of
	// cutover's own.
	ops, cutoverOps map[string]handler
}

// handler runs one operation on a validated request body.
type handler func(ctx context.Context, body []byte) (any, error)

// New returns the API.
func New(cfg Config) *API {
	a := &API{store: cfg.Store, arns: cfg.ARNs, changed: cfg.Changed, serviceChanged: cfg.ServiceChanged,
		auth: cfg.Authenticate, health: cfg.TargetHealth,
		lbHost: state.LoadBalancerDNSName(cfg.LBAddress), now: cfg.Now, log: cfg.Logger}
	if a.changed == nil {
		a.changed = func() {}
	}
	if a.serviceChanged == nil {
		a.serviceChanged = func(string) { a.changed() }
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.auth == nil {
		a.auth = func(r *http.Request, _ []byte) (audit.Actor, error) { return audit.FromRequest(r), nil }
	}
	a.ops, a.cutoverOps = a.operations(), a.cutoverOperations()
	return a
}

// Handles reports whether r is a request of the ECS API or of cutover's
// own operations (package cutoverapi).
func Handles(r *http.Request) bool {
	t := r.Header.Get("X-Amz-Target")
	return strings.HasPrefix(t, TargetPrefix) || strings.HasPrefix(t, cutoverapi.TargetPrefix)
}

// op adapts a typed operation to a handler: the body, already checked
// against the model, is decoded into Req.
func op[Req, Resp any](fn func(context.Context, *Req) (*Resp, error)) handler {
	return func(ctx context.Context, body []byte) (any, error) {
		req := new(Req)
		if len(body) > 0 {
			if err := json.Unmarshal(body, req); err != nil {
				return nil, apiErr("SerializationException", "Could not read the request: %v", err)
			}
		}
		return fn(ctx, req)
	}
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", reqID)
	target := r.Header.Get("X-Amz-Target")
	log := a.log.With("op", target, "request", reqID)
	resp, err := a.serve(r, target)
	if err != nil {
		status, typ, msg := ErrorResponse(err)
		if status >= 500 {
			log.Error("request failed", "err", err)
		} else {
			log.Debug("request refused", "type", typ, "message", msg)
		}
		writeJSON(w, status, map[string]string{"__type": typ, "message": msg})
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (a *API) serve(r *http.Request, target string) (any, error) {
	if r.Method != http.MethodPost {
		return nil, &Error{Type: "UnknownOperationException", Message: "The ECS API takes POST requests.", Status: http.StatusMethodNotAllowed}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Type: "SerializationException", Message: "The request body is larger than 4 MiB.", Status: http.StatusRequestEntityTooLarge}
		}
		return nil, apiErr("SerializationException", "Could not read the request body.")
	}
	actor, err := a.auth(r, body)
	if err != nil {
		return nil, err
	}
	return a.Call(audit.WithActor(r.Context(), actor), target, body)
}

// Call runs the operation an X-Amz-Target value names (an ECS one or
// one of cutover's) on a JSON request body, as the actor ctx carries
// (package audit). It is how the dashboard and the approval flows act:
// with the API's checks, errors and audit trail. Its errors are *Error
// or *awsmodel.ValidationError for what the caller got wrong; see
// ErrorResponse.
func (a *API) Call(ctx context.Context, target string, body []byte) (any, error) {
	if name, ok := strings.CutPrefix(target, cutoverapi.TargetPrefix); ok {
		h, ok := a.cutoverOps[name]
		if !ok {
			return nil, apiErr("UnknownOperationException", "Unknown operation %q.", target)
		}
		return h(ctx, body)
	}
	name := strings.TrimPrefix(target, TargetPrefix)
	h, ok := a.ops[name]
	if !ok {
		if _, err := awsmodel.ECS().Operation(name); err == nil {
			return nil, apiErr("UnsupportedFeatureException", "cutover does not support the %s operation.", name)
		}
		return nil, apiErr("UnknownOperationException", "Unknown operation %q.", name)
	}
	if err := awsmodel.ECS().ValidateJSONInput(name, body); err != nil {
		return nil, err
	}
	return h(ctx, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"ServerException","message":"The server could not encode its response."}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	w.Write(b)
}

// view runs fn in a read-only transaction.
func (a *API) view(ctx context.Context, fn func(state.Tx) error) error {
	return state.View(ctx, a.store, fn)
}

// update runs fn in a write transaction and wakes the controller once
// it has committed. Concurrent calls share commits (state.Batch), so fn
// may run more than once: it must leave nothing outside the transaction
// that a second run would get wrong (every caller reads what it changes
// from the transaction and only assigns its results).
func (a *API) update(ctx context.Context, fn func(state.Tx) error) error {
	err := state.Batch(ctx, a.store, fn)
	if err == nil {
		a.changed()
	}
	return err
}

// writeService is update for a write to one service or its deployment,
// whose ARN fn sets in *serviceArn: the controller is asked to reconcile
// that service alone, at once, rather than to make a whole pass (which
// takes tens of milliseconds with a thousand services).
func (a *API) writeService(ctx context.Context, serviceArn *string, fn func(state.Tx) error) error {
	err := state.Batch(ctx, a.store, fn)
	if err == nil {
		a.serviceChanged(*serviceArn)
	}
	return err
}
