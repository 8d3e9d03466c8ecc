package approvals

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cutover/cutover/internal/audit"
)

// The Slack message of a pause hook, in Block Kit.

// Identifiers of the message's buttons.
const (
	blockActions    = "cutover_hook"
	actionApprove   = "cutover_approve"
	actionRollback  = "cutover_rollback"
	maxHeaderLength = 150
)

// buttonValue is the value of both buttons: the hook they answer.
type buttonValue struct {
	Deployment string `json:"d"`
	Hook       string `json:"h"`
}

// slackBlocks renders the message of s: while the hook awaits, what is
// deployed where and the Approve and Roll back buttons; once resolved,
// how and by whom, without buttons. A note, if any, is added at the end.
func slackBlocks(s *summary, note string) []slack.Block {
	o := s.outcome()
	var header, lead string
	if o.Title == "" {
		header = "⏸️ " + s.Service + " is waiting for approval"
		lead = fmt.Sprintf("*%s* in cluster *%s* is paused at *%s*: %s.",
			esc(s.Service), esc(s.Cluster), esc(s.StageText()), esc(s.Change()))
	} else {
		header = o.Emoji + " " + s.Service + ": " + strings.ToLower(o.Title)
		lead = "*" + esc(o.Title) + "*"
		if o.By != nil {
			lead += " by " + slackActor(*o.By)
		}
		lead += esc(o.Text)
	}
	if len([]rune(header)) > maxHeaderLength {
		header = string([]rune(header)[:maxHeaderLength-1]) + "…"
	}
	fields := []*slack.TextBlockObject{
		mrkdwn("*Service*\n" + esc(s.Service)),
		mrkdwn("*Cluster*\n" + esc(s.Cluster)),
		mrkdwn("*Task definition*\n" + esc(s.Change())),
		mrkdwn("*Stage*\n" + esc(s.StageText())),
	}
	if s.TestURL != "" {
		fields = append(fields, mrkdwn("*Test listener*\n<"+s.TestURL+">"))
	}
	if o.Title == "" {
		fields = append(fields, mrkdwn(fmt.Sprintf("*Expires*\n%s, then %s", slackDate(s.ExpiresAt), s.TimeoutAction)))
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, header, true, false)),
		slack.NewSectionBlock(mrkdwn(lead), fields, nil),
	}
	if o.Title == "" {
		blocks = append(blocks, slackButtons(s))
	}
	blocks = append(blocks, slack.NewContextBlock("",
		mrkdwn(fmt.Sprintf("Service deployment `%s` · hook `%s`", esc(s.DeploymentArn), esc(s.HookID)))))
	if note != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn("⚠️ "+note)))
	}
	return blocks
}

// slackButtons is the Approve and Roll back buttons of s; rolling back
// asks for a confirmation.
func slackButtons(s *summary) slack.Block {
	v, _ := json.Marshal(buttonValue{Deployment: s.DeploymentArn, Hook: s.HookID}) // strings only: cannot fail
	approve := slack.NewButtonBlockElement(actionApprove, string(v),
		slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary)
	rollback := slack.NewButtonBlockElement(actionRollback, string(v),
		slack.NewTextBlockObject(slack.PlainTextType, "Roll back", false, false)).WithStyle(slack.StyleDanger).
		WithConfirm(slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Roll back?", false, false),
			mrkdwn(fmt.Sprintf("*%s* goes back to %s.", esc(s.Service), esc(strings.Join(s.From, ", ")))),
			slack.NewTextBlockObject(slack.PlainTextType, "Roll back", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false)))
	return slack.NewActionBlock(blockActions, approve, rollback)
}

// slackActor names an actor in a message: a Slack user is mentioned.
func slackActor(a audit.Actor) string {
	if a.Kind == audit.KindSlack && a.ID != "" {
		return "<@" + a.ID + ">"
	}
	return esc(a.String())
}

// slackDate renders t in each reader's time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), clock(t))
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

// esc escapes the characters Slack's mrkdwn gives a meaning to.
var esc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
