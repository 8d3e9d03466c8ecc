package approvals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
)

// maxInteraction bounds the body of an interaction request; Slack's
// carry the whole message.
const maxInteraction = 1 << 20

// serveInteraction handles Slack's interaction requests: a click on
// Approve or Roll back. The request must carry Slack's signature of its
// body with the app's signing secret, made less than five minutes ago
// (401 otherwise). The clicking user must be an approver: anyone else is
// told so, privately, and nothing happens. An approver's click continues
// or rolls back the hook through the API as that Slack user, and the
// message is updated to say so; an API refusal (the hook was resolved
// already, say) is told to the user and noted on the message.
func (n *slackNotifier) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteraction))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	if err := n.verify(r.Header, body); err != nil {
		n.log.Warn("refused a Slack interaction request", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "the body is not a form", http.StatusBadRequest)
		return
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &ic); err != nil {
		http.Error(w, "the payload is not an interaction", http.StatusBadRequest)
		return
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		w.WriteHeader(http.StatusOK) // nothing of ours
		return
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if act.ActionID != actionApprove && act.ActionID != actionRollback {
			continue
		}
		var v buttonValue
		if err := json.Unmarshal([]byte(act.Value), &v); err != nil || v.Deployment == "" || v.Hook == "" {
			http.Error(w, "the button's value is not a hook", http.StatusBadRequest)
			return
		}
		action := ecs.DeploymentLifecycleHookActionContinue
		if act.ActionID == actionRollback {
			action = ecs.DeploymentLifecycleHookActionRollback
		}
		n.click(r.Context(), &ic, v, action)
		break
	}
	w.WriteHeader(http.StatusOK)
}

// verify checks Slack's v0 signature of body: an HMAC-SHA256 of
// "v0:<X-Slack-Request-Timestamp>:<body>" with the signing secret,
// compared in constant time, and a timestamp within five minutes.
func (n *slackNotifier) verify(h http.Header, body []byte) error {
	sv, err := slack.NewSecretsVerifier(h, n.signingSecret)
	if err != nil {
		return fmt.Errorf("verify Slack signature: %w", err)
	}
	if _, err := sv.Write(body); err != nil {
		return fmt.Errorf("verify Slack signature: %w", err)
	}
	if err := sv.Ensure(); err != nil {
		return fmt.Errorf("verify Slack signature: %w", err)
	}
	return nil
}

// click acts on a button clicked by ic's user.
func (n *slackNotifier) click(ctx context.Context, ic *slack.InteractionCallback, v buttonValue, action ecs.DeploymentLifecycleHookAction) {
	user := ic.User
	name := user.Username
	if name == "" {
		name = user.Name
	}
	channel := ic.Container.ChannelID
	if channel == "" {
		channel = ic.Channel.ID
	}
	log := n.log.With("deployment", v.Deployment, "hook", v.Hook, "user", user.ID, "action", action)
	// Slack waits 3 s for the answer; what is not done by then is left
	// to the sink (the message) or lost (a private reply).
	slackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), interactionBudget)
	defer cancel()
	tell := func(text string) {
		if channel == "" || user.ID == "" {
			return
		}
		if _, err := n.client.PostEphemeralContext(slackCtx, channel, user.ID, slack.MsgOptionText(text, true)); err != nil {
			log.Warn("tell the Slack user", "err", err)
		}
	}
	if !n.approvers[user.ID] {
		log.Warn("a Slack user who is not an approver clicked", "name", name)
		tell("You are not allowed to approve or roll back deployments: ask to be added to the approvers in cutover's configuration.")
		return
	}
	actor := audit.Actor{Kind: audit.KindSlack, ID: user.ID, Name: name}
	err := n.a.resolve(ctx, actor, v.Deployment, v.Hook, action)
	note := ""
	if err != nil {
		status, _, msg := ecsapi.ErrorResponse(err)
		if status >= 500 {
			log.Error("resolve a hook from Slack", "err", err)
		} else {
			log.Info("the API refused a Slack user's answer", "err", err)
		}
		verb := map[ecs.DeploymentLifecycleHookAction]string{
			ecs.DeploymentLifecycleHookActionContinue: "approve", ecs.DeploymentLifecycleHookActionRollback: "roll back",
		}[action]
		tell(fmt.Sprintf("Could not %s: %s", verb, msg))
		note = fmt.Sprintf("%s could not %s: %s", slackActor(actor), verb, esc(msg))
	}
	var at *slackRecord
	if channel != "" && ic.Container.MessageTs != "" {
		at = &slackRecord{Channel: channel, TS: ic.Container.MessageTs}
	}
	if err := n.refresh(slackCtx, v.Deployment, v.Hook, at, note); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("update the approval request", "err", err)
	}
}
