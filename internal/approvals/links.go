package approvals

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/events"
)

// LinkMessage is the JSON body POSTed to a link webhook when a pause
// hook awaits an action. It is signed like the event webhooks (package
// signature) with the link's secret, and carries the event's sequence
// number in the X-Cutover-Event-Id header: a receiver drops the
// duplicates at-least-once delivery allows by it.
type LinkMessage struct {
	// Text says it all in one paragraph of plain text, URLs included,
	// for chat webhooks that take a "text" field.
	Text                 string `json:"text"`
	Service              string `json:"service"`
	Cluster              string `json:"cluster"`
	Stage                string `json:"stage"`
	HookID               string `json:"hookId"`
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	// ExpiresAt is when the URLs stop working: the hook's expiry, or
	// sooner with the link's ttl.
	ExpiresAt time.Time `json:"expiresAt"`
	// TestURL is the test listener's address, when the service has one.
	TestURL string `json:"testUrl,omitempty"`
	// ApproveURL and RollbackURL open a confirmation page whose button
	// continues or rolls back the deployment. Either works once, and
	// using one kills the other.
	ApproveURL  string `json:"approveUrl"`
	RollbackURL string `json:"rollbackUrl"`
}

// linkNotifier sends the approval requests of one link webhook.
type linkNotifier struct {
	a      *Approvals
	name   string
	url    string
	secret []byte
	key    []byte // of the tokens
	ttl    time.Duration
	client *http.Client
	log    *slog.Logger
}

// linkRecord is what was sent to a link for a hook, stored under
// "link|deployment ARN|hook ID": a retry sends the same URLs.
type linkRecord struct {
	Nonce string `json:"nonce"`
	expiring
	Sent bool `json:"sent,omitempty"`
}

func newLinkNotifier(a *Approvals, cfg Link) (*linkNotifier, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.Name == "":
		return nil, fmt.Errorf("%w: a link has no name", ErrInvalidConfig)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("%w: link %q: URL %q is not an http(s) URL", ErrInvalidConfig, cfg.Name, cfg.URL)
	case len(cfg.Secret) == 0:
		return nil, fmt.Errorf("%w: link %q has no secret", ErrInvalidConfig, cfg.Name)
	case cfg.TTL < 0:
		return nil, fmt.Errorf("%w: link %q: negative ttl", ErrInvalidConfig, cfg.Name)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: httpTimeout}
	}
	return &linkNotifier{
		a: a, name: cfg.Name, url: cfg.URL, secret: cfg.Secret, key: tokenKey(cfg.Secret), ttl: cfg.TTL,
		client: hc, log: a.log.With("link", cfg.Name),
	}, nil
}

// deliver sends the approval request of a pause hook that starts
// awaiting an action. It is idempotent: a hook's request is sent until
// the webhook accepts it, always with the same URLs, and not again once
// accepted.
func (l *linkNotifier) deliver(ctx context.Context, seq uint64, env []byte) error {
	ev, err := parseEvent(env)
	if err != nil {
		l.log.Error("skip an event the approvals cannot read", "seq", seq, "err", err)
		return nil
	}
	if !ev.pause() || ev.Detail.EventName != "HOOK_AWAITING_ACTION" {
		return nil
	}
	l.a.prune(ctx)
	arn, hookID := ev.Detail.ServiceDeploymentArn, ev.Detail.HookID
	key := l.name + "|" + arn + "|" + hookID
	defer l.a.lock(key)()
	var rec linkRecord
	found, err := l.a.getRecord(ctx, tableLinks, key, &rec)
	if err != nil || rec.Sent {
		return err
	}
	s, err := l.a.summaryOf(ctx, arn, hookID)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	if !s.Awaiting {
		l.log.Debug("hook resolved before its approval request was sent", "deployment", arn, "hook", hookID)
		return nil
	}
	if !found {
		exp := s.ExpiresAt
		if now := l.a.now(); l.ttl > 0 && now.Add(l.ttl).Before(exp) {
			exp = now.Add(l.ttl)
		}
		rec = linkRecord{Nonce: rand.Text(), expiring: expiring{ExpiresAt: exp.Truncate(time.Second)}}
		if err := l.a.putRecord(ctx, tableLinks, key, &rec); err != nil {
			return err
		}
	}
	body, err := json.Marshal(l.message(s, &rec))
	if err != nil {
		return fmt.Errorf("encode the approval request: %w", err)
	}
	if err := l.post(ctx, seq, body); err != nil {
		return err
	}
	l.log.Info("approval request sent", "deployment", arn, "hook", hookID, "expires", rec.ExpiresAt)
	rec.Sent = true
	return l.a.putRecord(ctx, tableLinks, key, &rec)
}

// message is the request of the hook s, with the URLs of rec's nonce.
func (l *linkNotifier) message(s *summary, rec *linkRecord) *LinkMessage {
	urlOf := func(action ecs.DeploymentLifecycleHookAction) string {
		return l.a.publicURL + LinksPath + sign(l.key, &claims{
			Link: l.name, Deployment: s.DeploymentArn, Hook: s.HookID, Action: action,
			Expires: rec.ExpiresAt.Unix(), Nonce: rec.Nonce,
		})
	}
	m := &LinkMessage{
		Service: s.Service, Cluster: s.Cluster, Stage: s.StageText(), HookID: s.HookID,
		ServiceDeploymentArn: s.DeploymentArn, ExpiresAt: rec.ExpiresAt.UTC(), TestURL: s.TestURL,
		ApproveURL:  urlOf(ecs.DeploymentLifecycleHookActionContinue),
		RollbackURL: urlOf(ecs.DeploymentLifecycleHookActionRollback),
	}
	m.Text = s.text()
	if s.TestURL != "" {
		m.Text += " Test it at " + s.TestURL + "."
	}
	m.Text += fmt.Sprintf(" Approve: %s — Roll back: %s (until %s)", m.ApproveURL, m.RollbackURL, clock(m.ExpiresAt))
	return m
}

// post sends body to the webhook once, signed; any answer but a 2xx is
// an error.
func (l *linkNotifier) post(ctx context.Context, seq uint64, body []byte) error {
	if err := events.Post(ctx, l.client, l.url, "cutover-approvals", l.secret, seq, body); err != nil {
		return fmt.Errorf("send the approval request to link %s: %w", l.name, err)
	}
	return nil
}
