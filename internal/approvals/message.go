package approvals

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// This file says what a pause hook is about and how it ended, from the
// deployment's details alone; slack.go and links.go render it.

// summary is a pause hook and the deployment it holds.
type summary struct {
	Service, Cluster string
	DeploymentArn    string
	DeploymentStatus ecs.ServiceDeploymentStatus
	StatusReason     string
	HookID           string
	Stage            ecs.DeploymentLifecycleHookStage
	Step             int
	// From are the source revisions' task definitions (family:revision),
	// To the target's.
	From []string
	To   string
	// TestURL and ProductionURL are the listeners' addresses, if any.
	TestURL, ProductionURL string
	ExpiresAt              time.Time
	TimeoutAction          ecs.DeploymentLifecycleHookAction
	Status                 ecs.DeploymentLifecycleHookStatus
	// Awaiting is set while ContinueServiceDeployment can act on the
	// hook: it awaits an action at the deployment's current stage.
	Awaiting bool
	Reason   string
	// Decision is the ContinueServiceDeployment that resolved the hook,
	// from the audit trail.
	Decision *decision
}

// decision is who answered a hook, how and when.
type decision struct {
	Action ecs.DeploymentLifecycleHookAction
	Actor  audit.Actor
	Time   time.Time
}

// summarize describes hook hookID of the deployment d.
func summarize(d *cutoverapi.DeploymentDetails, hookID string) (*summary, error) {
	var h *cutoverapi.Hook
	for i := range d.Hooks {
		if d.Hooks[i].HookID == hookID {
			h = &d.Hooks[i]
		}
	}
	if h == nil {
		return nil, fmt.Errorf("service deployment %s has no hook %s", d.ServiceDeployment.ServiceDeploymentArn, hookID)
	}
	s := &summary{
		Service: d.ServiceName, Cluster: d.ClusterName,
		DeploymentArn:    d.ServiceDeployment.ServiceDeploymentArn,
		DeploymentStatus: d.ServiceDeployment.Status, StatusReason: d.ServiceDeployment.StatusReason,
		HookID: hookID, Stage: h.Stage, Step: h.Step,
		TestURL: d.TestURL, ProductionURL: d.ProductionURL,
		ExpiresAt: h.ExpiresAt, TimeoutAction: h.TimeoutAction, Status: h.Status, Reason: h.Reason,
		Awaiting: h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction && h.Current,
	}
	for _, r := range d.Revisions {
		name := shortTaskDef(r.TaskDefinition)
		if name == "" {
			name = r.Arn[strings.LastIndexByte(r.Arn, '/')+1:]
		}
		if r.Role == "target" {
			s.To = name
		} else {
			s.From = append(s.From, name)
		}
	}
	for _, r := range d.Audit {
		if r.Action == cutoverapi.ActionContinue && r.HookID == hookID {
			s.Decision = &decision{Action: ecs.DeploymentLifecycleHookAction(r.Detail), Actor: r.Actor, Time: r.Time}
		}
	}
	return s, nil
}

// shortTaskDef turns a task definition ARN into family:revision.
func shortTaskDef(arn string) string {
	if _, after, ok := strings.Cut(arn, ":task-definition/"); ok {
		return after
	}
	return arn
}

// StageText is the hook's stage, with the step of a stepped shift.
func (s *summary) StageText() string {
	if s.Step > 0 {
		return fmt.Sprintf("%s (step %d)", s.Stage, s.Step+1)
	}
	return string(s.Stage)
}

// Change is "web:1 → web:2": the source task definitions and the target's.
func (s *summary) Change() string {
	if len(s.From) == 0 {
		return s.To
	}
	return strings.Join(s.From, ", ") + " → " + s.To
}

// outcome is how a hook ended, for people.
type outcome struct {
	// Title is short: "Approved", "Rolled back", "Timed out", ….
	Title string
	Emoji string
	// By is who decided, when someone did.
	By *audit.Actor
	// Text completes the title: " at 15:04:05 UTC." or ": <reason>".
	Text string
}

// outcome says how the hook ended; Title is empty while it awaits.
func (s *summary) outcome() outcome {
	d := s.Decision
	switch {
	case s.Awaiting:
		return outcome{}
	case s.Status == ecs.DeploymentLifecycleHookStatusSucceeded && d != nil:
		return outcome{Title: "Approved", Emoji: "✅", By: &d.Actor, Text: " at " + clock(d.Time) + "."}
	case s.Status == ecs.DeploymentLifecycleHookStatusFailed && d != nil && d.Action == ecs.DeploymentLifecycleHookActionRollback:
		return outcome{Title: "Rolled back", Emoji: "↩️", By: &d.Actor, Text: " at " + clock(d.Time) + "."}
	case s.Status == ecs.DeploymentLifecycleHookStatusSucceeded:
		return outcome{Title: "Continued", Emoji: "✅", Text: "."}
	case s.Status == ecs.DeploymentLifecycleHookStatusTimedOut:
		then := "the deployment rolls back"
		if s.TimeoutAction == ecs.DeploymentLifecycleHookActionContinue {
			then = "the deployment continues"
		}
		return outcome{Title: "Timed out", Emoji: "⏱️", Text: " at " + clock(s.ExpiresAt) + " with nobody's answer: " + then + "."}
	case s.Status == ecs.DeploymentLifecycleHookStatusFailed:
		return outcome{Title: "Failed", Emoji: "❌", Text: ": " + orDash(s.Reason) + "."}
	default:
		text := ": the deployment is " + string(s.DeploymentStatus)
		if s.StatusReason != "" {
			text += " (" + s.StatusReason + ")"
		}
		return outcome{Title: "No longer waiting", Emoji: "⏹️", Text: text + "."}
	}
}

// plain renders the outcome as plain text: "Approved by alice (slack
// U1) at 15:04:05 UTC."
func (o outcome) plain() string {
	if o.By == nil {
		return o.Title + o.Text
	}
	return o.Title + " by " + o.By.String() + o.Text
}

// text is the one-line description of the hook: the notification text
// of the Slack message and the text of link messages.
func (s *summary) text() string {
	head := fmt.Sprintf("%s (cluster %s)", s.Service, s.Cluster)
	if o := s.outcome(); o.Title != "" {
		return fmt.Sprintf("%s at %s: %s", head, s.StageText(), o.plain())
	}
	return fmt.Sprintf("%s is waiting for approval at %s: %s.", head, s.StageText(), s.Change())
}

// withHost returns the listener URL u with host in place of an empty or
// unspecified one, or localhost, which is how the API names a load
// balancer listening on all interfaces (state.LoadBalancerDNSName):
// people reach it at the host they reach the server at.
func withHost(u, host string) string {
	p, err := url.Parse(u)
	if err != nil || host == "" || p.Host == "" {
		return u
	}
	if h := p.Hostname(); h != "" && h != "localhost" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			return u
		}
	}
	port := p.Port()
	p.Host = host
	if port != "" {
		p.Host = net.JoinHostPort(host, port)
	}
	return p.String()
}

// clock renders a time for people, in UTC.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
