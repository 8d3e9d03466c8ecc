package approvals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/slack-go/slack"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// slackNotifier posts a message to a Slack channel when a pause hook
// awaits an action, and keeps it up to date until the hook is resolved.
type slackNotifier struct {
	a             *Approvals
	client        *slack.Client
	channel       string
	signingSecret string
	approvers     map[string]bool
	log           *slog.Logger
}

// slackRecord is the Slack message of a hook, stored under
// "deployment ARN|hook ID".
type slackRecord struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	expiring
	// Final is set once the message says how the hook ended: later events
	// leave it alone.
	Final bool `json:"final,omitempty"`
}

func newSlackNotifier(a *Approvals, cfg Slack) (*slackNotifier, error) {
	switch {
	case cfg.BotToken == "", cfg.SigningSecret == "", cfg.Channel == "":
		return nil, fmt.Errorf("%w: Slack needs a bot token, a signing secret and a channel", ErrInvalidConfig)
	case len(cfg.Approvers) == 0:
		return nil, fmt.Errorf("%w: Slack needs approvers", ErrInvalidConfig)
	case cfg.APIURL == "":
		return nil, fmt.Errorf("%w: Slack needs the Web API's URL", ErrInvalidConfig)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: httpTimeout}
	}
	log := a.log.With("slack", cfg.Channel)
	n := &slackNotifier{
		a: a, channel: cfg.Channel, signingSecret: cfg.SigningSecret, approvers: map[string]bool{}, log: log,
		client: slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(hc),
			slack.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelWarn))),
	}
	for _, id := range cfg.Approvers {
		n.approvers[id] = true
	}
	return n, nil
}

// deliver handles an event of the log: a pause hook awaiting an action
// is posted, one resolved updates its message, and a deployment that
// ended updates the messages of its hooks still shown as waiting. It is
// idempotent: the sink delivers at least once.
func (n *slackNotifier) deliver(ctx context.Context, seq uint64, env []byte) error {
	ev, err := parseEvent(env)
	if err != nil {
		n.log.Error("skip an event the approvals cannot read", "seq", seq, "err", err)
		return nil
	}
	arn := ev.Detail.ServiceDeploymentArn
	switch {
	case ev.DetailType == state.DetailDeploymentStateChange:
		if ev.Detail.EventName == "SERVICE_DEPLOYMENT_COMPLETED" || ev.Detail.EventName == "SERVICE_DEPLOYMENT_FAILED" {
			return n.refreshDeployment(ctx, arn)
		}
	case !ev.pause():
	case ev.Detail.EventName == "HOOK_AWAITING_ACTION":
		n.a.prune(ctx)
		return n.post(ctx, arn, ev.Detail.HookID)
	case slices.Contains([]string{"HOOK_SUCCEEDED", "HOOK_FAILED", "HOOK_TIMED_OUT"}, ev.Detail.EventName):
		return n.refresh(ctx, arn, ev.Detail.HookID, nil, "")
	}
	return nil
}

// slackKey is the store key of a hook's message.
func slackKey(arn, hookID string) string { return arn + "|" + hookID }

// post posts the message of a hook that awaits an action, unless it was
// posted already or the hook was resolved since.
func (n *slackNotifier) post(ctx context.Context, arn, hookID string) error {
	key := slackKey(arn, hookID)
	defer n.a.lock(key)()
	var rec slackRecord
	if found, err := n.a.getRecord(ctx, tableSlack, key, &rec); err != nil || found {
		return err
	}
	s, err := n.a.summaryOf(ctx, arn, hookID)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	if !s.Awaiting {
		n.log.Debug("hook resolved before its approval request was posted", "deployment", arn, "hook", hookID)
		return nil
	}
	channel, ts, err := n.client.PostMessageContext(ctx, n.channel,
		slack.MsgOptionText(s.text(), true), slack.MsgOptionBlocks(slackBlocks(s, "")...))
	if err != nil {
		return fmt.Errorf("post the approval request of hook %s to Slack: %w", hookID, err)
	}
	n.log.Info("approval request posted", "deployment", arn, "hook", hookID, "ts", ts)
	rec = slackRecord{Channel: channel, TS: ts, expiring: expiring{ExpiresAt: s.ExpiresAt}}
	return n.a.putRecord(ctx, tableSlack, key, &rec)
}

// refresh updates the message of a hook to what the deployment says now,
// with a note if any. at is the message when the store has none for the
// hook (an interaction names it). A message that says how the hook
// ended is not updated again, except to add a note.
func (n *slackNotifier) refresh(ctx context.Context, arn, hookID string, at *slackRecord, note string) error {
	key := slackKey(arn, hookID)
	defer n.a.lock(key)()
	var rec slackRecord
	found, err := n.a.getRecord(ctx, tableSlack, key, &rec)
	switch {
	case err != nil:
		return err
	case !found && at == nil:
		return nil // a hook posted by nobody, or before approvals were configured
	case !found:
		rec = *at
	case rec.Final && note == "":
		return nil
	}
	s, err := n.a.summaryOf(ctx, arn, hookID)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	_, _, _, err = n.client.UpdateMessageContext(ctx, rec.Channel, rec.TS,
		slack.MsgOptionText(s.text(), true), slack.MsgOptionBlocks(slackBlocks(s, note)...))
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && slices.Contains([]string{"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}, se.Err):
		n.log.Warn("the approval request cannot be updated any more", "deployment", arn, "hook", hookID, "err", se.Err)
		rec.Final = true
	case err != nil:
		return fmt.Errorf("update the approval request of hook %s in Slack: %w", hookID, err)
	case !s.Awaiting:
		rec.Final = true
	}
	rec.ExpiresAt = s.ExpiresAt
	return n.a.putRecord(ctx, tableSlack, key, &rec)
}

// refreshDeployment updates the messages of the deployment's hooks that
// are not final: a deployment stopped or rolled back while a hook waited
// leaves the hook unresolved.
func (n *slackNotifier) refreshDeployment(ctx context.Context, arn string) error {
	var hooks []string
	err := n.a.st.View(ctx, func(tx store.Tx) error {
		prefix := slackKey(arn, "")
		return store.ScanJSON(tx, tableSlack, prefix, "", func(key string, r *slackRecord) error {
			if !r.Final {
				hooks = append(hooks, key[len(prefix):])
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("list the approval requests of %s: %w", arn, err)
	}
	for _, h := range hooks {
		if err := n.refresh(ctx, arn, h, nil, ""); err != nil {
			return err
		}
	}
	return nil
}
