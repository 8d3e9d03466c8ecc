package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/events"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Paths the approval endpoints are served at.
const (
	// SlackPath receives Slack's interaction requests (the app's
	// Interactivity Request URL is the public URL and this path).
	SlackPath = "/slack/interactions"
	// LinksPath starts the approve and roll back URLs: LinksPath + token.
	LinksPath = "/cutover/v1/approvals/"
)

// Operation targets the package calls.
const (
	targetContinue = ecsapi.TargetPrefix + "ContinueServiceDeployment"
	targetDetails  = cutoverapi.TargetPrefix + cutoverapi.OpDescribeServiceDeploymentDetails
)

// Store tables.
const (
	// tableSlack maps "deployment ARN|hook ID" to the hook's Slack
	// message (slackRecord).
	tableSlack = "approvals_slack"
	// tableLinks maps "link|deployment ARN|hook ID" to what was sent to a
	// link webhook (linkRecord).
	tableLinks = "approvals_links"
	// tableNonces maps a used link nonce to its use (nonceRecord).
	tableNonces = "approvals_nonces"
)

// API runs the control plane's operations; *ecsapi.API implements it.
type API interface {
	// Call runs the operation target names (an X-Amz-Target value) on a
	// JSON request body as the actor ctx carries (package audit), with
	// the API's checks and audit trail. Its errors map to an answer with
	// ecsapi.ErrorResponse.
	Call(ctx context.Context, target string, body []byte) (any, error)
}

// Config configures the approval flows.
type Config struct {
	// API acts on the answers and describes deployments.
	API API
	// Store keeps the messages sent and the link nonces used.
	Store store.Store
	// PublicURL is the base URL people reach the server at, without a
	// trailing slash; the links' URLs start with it. Required with Links.
	PublicURL string
	// Slack, when set, asks for approvals in a Slack channel.
	Slack *Slack
	// Links are the webhooks that receive signed approval links.
	Links []Link
	// Logger receives what goes wrong; nil discards it.
	Logger *slog.Logger
	// Now is the clock of link tokens; nil is time.Now.
	Now func() time.Time
}

// Slack is the Slack app that asks for approvals.
type Slack struct {
	// BotToken is the bot token (xoxb-…) with the chat:write scope.
	BotToken string
	// SigningSecret verifies Slack's interaction requests.
	SigningSecret string
	// Channel is the channel ID or #name messages are posted to.
	Channel string
	// Approvers are the Slack user IDs allowed to approve or roll back.
	Approvers []string
	// APIURL is the Web API's base URL, ending in a slash.
	APIURL string
	// HTTPClient calls the Web API; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Link is a webhook that receives approval requests with signed,
// one-time approve and roll back URLs.
type Link struct {
	// Name identifies the link in tokens, sink cursors and the audit
	// trail (actor kind "link", ID the name).
	Name string
	// URL is where the messages are POSTed.
	URL string
	// Secret signs the messages (package signature) and, through a key
	// derived from it, the URLs' tokens.
	Secret []byte
	// TTL is how long the URLs work; zero: until the hook expires.
	TTL time.Duration
	// HTTPClient posts the messages; nil is a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Route is an endpoint to serve: the paths under Prefix.
type Route struct {
	Prefix  string
	Handler http.Handler
}

// Approvals runs the approval flows. Create it with New; its sinks and
// routes do the work.
type Approvals struct {
	api       API
	st        store.Store
	log       *slog.Logger
	now       func() time.Time
	publicURL string
	// publicHost is publicURL's host name, where listeners on all
	// interfaces are reached.
	publicHost string
	slack      *slackNotifier
	links      map[string]*linkNotifier
	linkOrder  []string

	// locks serialize the work on one hook's messages: the sinks and the
	// endpoints may both update them.
	locks [64]sync.Mutex

	pruneMu   sync.Mutex
	lastPrune time.Time
}

// Timeouts.
const (
	httpTimeout = 10 * time.Second
	// interactionBudget bounds what an interaction request waits for from
	// Slack: Slack wants an answer within 3 s. A message left stale by it
	// is updated by the sink when the hook's event arrives.
	interactionBudget = 2500 * time.Millisecond
	// pruneEvery and keepAfter: records are deleted a while after what
	// they refer to expired.
	pruneEvery = time.Hour
	keepAfter  = 7 * 24 * time.Hour
)

// New checks cfg and returns the approval flows it describes.
func New(cfg Config) (*Approvals, error) {
	if cfg.API == nil || cfg.Store == nil {
		return nil, fmt.Errorf("%w: an API and a store are required", ErrInvalidConfig)
	}
	a := &Approvals{
		api: cfg.API, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		publicURL: cfg.PublicURL, links: map[string]*linkNotifier{},
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil {
		a.publicHost = u.Hostname()
	}
	if cfg.Slack != nil {
		n, err := newSlackNotifier(a, *cfg.Slack)
		if err != nil {
			return nil, err
		}
		a.slack = n
	}
	if len(cfg.Links) > 0 {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: public URL %q is not an http(s) URL", ErrInvalidConfig, cfg.PublicURL)
		}
	}
	for _, l := range cfg.Links {
		n, err := newLinkNotifier(a, l)
		if err != nil {
			return nil, err
		}
		if a.links[l.Name] != nil {
			return nil, fmt.Errorf("%w: two links are named %q", ErrInvalidConfig, l.Name)
		}
		a.links[l.Name] = n
		a.linkOrder = append(a.linkOrder, l.Name)
	}
	return a, nil
}

// Sinks returns the event log consumers that send the approval requests
// and keep the Slack messages up to date: "approvals-slack" and one
// "approvals-link-NAME" per link.
func (a *Approvals) Sinks() []events.Sink {
	var sinks []events.Sink
	if a.slack != nil {
		sinks = append(sinks, events.Sink{
			Name:        config.ReservedSinkPrefix + "slack",
			DetailTypes: []string{state.DetailHookStateChange, state.DetailDeploymentStateChange},
			Deliver:     a.slack.deliver,
		})
	}
	for _, name := range a.linkOrder {
		sinks = append(sinks, events.Sink{
			Name:        config.ReservedSinkPrefix + "link-" + name,
			DetailTypes: []string{state.DetailHookStateChange},
			Deliver:     a.links[name].deliver,
		})
	}
	return sinks
}

// Routes returns the endpoints to serve: SlackPath when Slack is
// configured, LinksPath when links are.
func (a *Approvals) Routes() []Route {
	var routes []Route
	if a.slack != nil {
		routes = append(routes, Route{Prefix: SlackPath, Handler: http.HandlerFunc(a.slack.serveInteraction)})
	}
	if len(a.links) > 0 {
		routes = append(routes, Route{Prefix: LinksPath, Handler: http.HandlerFunc(a.serveLink)})
	}
	return routes
}

// hookEvent is what the flows read from an event of the log.
type hookEvent struct {
	DetailType string
	Detail     struct {
		EventName            string                                `json:"eventName"`
		HookID               string                                `json:"hookId"`
		HookType             ecs.DeploymentLifecycleHookTargetType `json:"hookType"`
		ServiceDeploymentArn string                                `json:"serviceDeploymentArn"`
	}
}

// parseEvent reads an event envelope.
func parseEvent(env []byte) (*hookEvent, error) {
	var e state.Event
	if err := json.Unmarshal(env, &e); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	ev := &hookEvent{DetailType: e.DetailType}
	if err := json.Unmarshal(e.Detail, &ev.Detail); err != nil {
		return nil, fmt.Errorf("decode %s event detail: %w", e.DetailType, err)
	}
	return ev, nil
}

// pause reports whether ev is an event of a PAUSE hook.
func (ev *hookEvent) pause() bool {
	return ev.DetailType == state.DetailHookStateChange && ev.Detail.HookType == ecs.DeploymentLifecycleHookTargetTypePause &&
		ev.Detail.HookID != "" && ev.Detail.ServiceDeploymentArn != ""
}

// errGone is returned by details for a deployment that no longer exists.
var errGone = errors.New("the service deployment no longer exists")

// details describes a deployment through the API.
func (a *Approvals) details(ctx context.Context, arn string) (*cutoverapi.DeploymentDetails, error) {
	body, err := json.Marshal(cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
	if err != nil {
		return nil, err
	}
	ctx = audit.WithActor(ctx, audit.Actor{Kind: audit.KindCutover, ID: "approvals"})
	out, err := a.api.Call(ctx, targetDetails, body)
	if err != nil {
		if _, typ, _ := ecsapi.ErrorResponse(err); typ == "ServiceDeploymentNotFoundException" {
			return nil, fmt.Errorf("describe %s: %w", arn, errGone)
		}
		return nil, fmt.Errorf("describe %s: %w", arn, err)
	}
	resp, ok := out.(*cutoverapi.DescribeServiceDeploymentDetailsResponse)
	if !ok {
		return nil, fmt.Errorf("describe %s: unexpected response %T", arn, out)
	}
	return &resp.Details, nil
}

// summaryOf describes the hook of a deployment.
func (a *Approvals) summaryOf(ctx context.Context, arn, hookID string) (*summary, error) {
	d, err := a.details(ctx, arn)
	if err != nil {
		return nil, err
	}
	s, err := summarize(d, hookID)
	if err != nil {
		return nil, err
	}
	s.TestURL, s.ProductionURL = withHost(s.TestURL, a.publicHost), withHost(s.ProductionURL, a.publicHost)
	return s, nil
}

// resolve answers the hook of a deployment as actor, through the API's
// ContinueServiceDeployment.
func (a *Approvals) resolve(ctx context.Context, actor audit.Actor, arn, hookID string, action ecs.DeploymentLifecycleHookAction) error {
	body, err := json.Marshal(ecs.ContinueServiceDeploymentRequest{ServiceDeploymentArn: arn, HookId: hookID, Action: action})
	if err != nil {
		return err
	}
	if _, err := a.api.Call(audit.WithActor(ctx, actor), targetContinue, body); err != nil {
		return fmt.Errorf("%s hook %s of %s as %s: %w", action, hookID, arn, actor, err)
	}
	a.log.Info("hook resolved", "deployment", arn, "hook", hookID, "action", action, "actor", actor.String())
	return nil
}

// lock locks the work on key's messages and returns the unlock.
func (a *Approvals) lock(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &a.locks[h.Sum32()%uint32(len(a.locks))]
	m.Lock()
	return m.Unlock
}

// expiring is a stored record that can be pruned once expired.
type expiring struct {
	ExpiresAt time.Time `json:"expiresAt"`
}

// prune deletes, at most once per pruneEvery, the records whose hook or
// link expired more than keepAfter ago: by then nothing can use them.
func (a *Approvals) prune(ctx context.Context) {
	a.pruneMu.Lock()
	now := a.now()
	if now.Sub(a.lastPrune) < pruneEvery {
		a.pruneMu.Unlock()
		return
	}
	a.lastPrune = now
	a.pruneMu.Unlock()
	for _, table := range []string{tableSlack, tableLinks, tableNonces} {
		err := a.st.Update(ctx, func(tx store.Tx) error {
			var old []string
			err := store.ScanJSON(tx, table, "", "", func(key string, r *expiring) error {
				if !r.ExpiresAt.IsZero() && now.Sub(r.ExpiresAt) > keepAfter {
					old = append(old, key)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range old {
				if err := tx.Delete(table, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			a.log.Warn("prune approval records", "table", table, "err", err)
		}
	}
}

// getRecord reads the record under key in table into v; found is false
// when there is none.
func (a *Approvals) getRecord(ctx context.Context, table, key string, v any) (found bool, err error) {
	err = a.st.View(ctx, func(tx store.Tx) error { return store.GetJSON(tx, table, key, v) })
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s/%s: %w", table, key, err)
	}
	return true, nil
}

// putRecord stores v under key in table. It is not cut short by ctx:
// what it records has happened.
func (a *Approvals) putRecord(ctx context.Context, table, key string, v any) error {
	err := a.st.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return store.PutJSON(tx, table, key, v) })
	if err != nil {
		return fmt.Errorf("save %s/%s: %w", table, key, err)
	}
	return nil
}
