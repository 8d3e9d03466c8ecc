package approvals

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// detailsFixture is a BLUE_GREEN deployment of web:7 over web:6, paused
// at POST_TEST_TRAFFIC_SHIFT; change adjusts it.
func detailsFixture(change func(d *cutoverapi.DeploymentDetails)) *cutoverapi.DeploymentDetails {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := &cutoverapi.DeploymentDetails{
		ServiceDeployment: ecs.ServiceDeployment{
			ServiceDeploymentArn: "arn:aws:ecs:us-east-1:000000000000:service-deployment/prod/web/d7",
			Status:               ecs.ServiceDeploymentStatusInProgress,
		},
		ClusterName: "prod", ServiceName: "web",
		Revisions: []cutoverapi.Revision{
			{Arn: "arn:aws:ecs:us-east-1:000000000000:service-revision/prod/web/7", Role: "target",
				TaskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:7"},
			{Arn: "arn:aws:ecs:us-east-1:000000000000:service-revision/prod/web/6", Role: "source",
				TaskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:6"},
		},
		Hooks: []cutoverapi.Hook{
			{HookID: "ecs-pause-other", Stage: ecs.DeploymentLifecycleHookStagePostScaleUp, TargetType: ecs.DeploymentLifecycleHookTargetTypePause,
				Status: ecs.DeploymentLifecycleHookStatusSucceeded},
			{HookID: hookA, Stage: ecs.DeploymentLifecycleHookStagePostTestTrafficShift, TargetType: ecs.DeploymentLifecycleHookTargetTypePause,
				Status: ecs.DeploymentLifecycleHookStatusAwaitingAction, StartedAt: t0, ExpiresAt: t0.Add(time.Hour),
				TimeoutAction: ecs.DeploymentLifecycleHookActionRollback, Current: true},
		},
		TestURL: "http://lb.example:8081/", ProductionURL: "http://lb.example:8080/",
		Audit: []cutoverapi.AuditRecord{
			{Action: cutoverapi.ActionContinue, HookID: "ecs-pause-other", Detail: "CONTINUE", Actor: audit.Actor{Kind: audit.KindSlack, ID: "U0BOB"}},
		},
	}
	if change != nil {
		change(d)
	}
	return d
}

// resolved sets the hook's status and adds the audit record of actor's
// ContinueServiceDeployment, if an actor is given.
func resolved(status ecs.DeploymentLifecycleHookStatus, action ecs.DeploymentLifecycleHookAction, actor *audit.Actor) func(d *cutoverapi.DeploymentDetails) {
	return func(d *cutoverapi.DeploymentDetails) {
		d.Hooks[1].Status, d.Hooks[1].Current = status, status == ecs.DeploymentLifecycleHookStatusAwaitingAction
		if actor != nil {
			d.Audit = append(d.Audit, cutoverapi.AuditRecord{Action: cutoverapi.ActionContinue, HookID: hookA, Detail: string(action),
				Actor: *actor, Time: time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)})
		}
	}
}

func TestSlackMessage(t *testing.T) {
	alice := &audit.Actor{Kind: audit.KindSlack, ID: "U0ALICE", Name: "alice"}
	ci := &audit.Actor{Kind: audit.KindAccessKey, ID: "AKIDCI", Name: "ci"}
	link := &audit.Actor{Kind: audit.KindLink, ID: "teams"}
	cases := []struct {
		name    string
		change  func(d *cutoverapi.DeploymentDetails)
		buttons bool
		want    []string // in the blocks' texts
		text    string   // the notification text
	}{
		{name: "awaiting", buttons: true,
			want: []string{"⏸️ web is waiting for approval", "*web* in cluster *prod* is paused at *POST_TEST_TRAFFIC_SHIFT*: web:6 → web:7.",
				"*Test listener*\n<http://lb.example:8081/>", "*Expires*\n<!date^1772370000^{date_short_pretty} {time}|2026-03-01 13:00:00 UTC>, then ROLLBACK",
				"`arn:aws:ecs:us-east-1:000000000000:service-deployment/prod/web/d7`", "Approve", "Roll back", "Roll back?",
				"*web* goes back to web:6."},
			text: "web (cluster prod) is waiting for approval at POST_TEST_TRAFFIC_SHIFT: web:6 → web:7."},
		{name: "approved in Slack", change: resolved(ecs.DeploymentLifecycleHookStatusSucceeded, "CONTINUE", alice),
			want: []string{"✅ web: approved", "*Approved* by <@U0ALICE> at 2026-03-01 12:05:00 UTC."},
			text: "web (cluster prod) at POST_TEST_TRAFFIC_SHIFT: Approved by alice (slack U0ALICE) at 2026-03-01 12:05:00 UTC."},
		{name: "approved with the CLI", change: resolved(ecs.DeploymentLifecycleHookStatusSucceeded, "CONTINUE", ci),
			want: []string{"*Approved* by ci (accessKey AKIDCI) at"}},
		{name: "rolled back through a link", change: resolved(ecs.DeploymentLifecycleHookStatusFailed, "ROLLBACK", link),
			want: []string{"↩️ web: rolled back", "*Rolled back* by link teams at 2026-03-01 12:05:00 UTC."}},
		{name: "timed out", change: resolved(ecs.DeploymentLifecycleHookStatusTimedOut, "", nil),
			want: []string{"⏱️ web: timed out", "*Timed out* at 2026-03-01 13:00:00 UTC with nobody's answer: the deployment rolls back."}},
		{name: "timed out, continuing", change: func(d *cutoverapi.DeploymentDetails) {
			resolved(ecs.DeploymentLifecycleHookStatusTimedOut, "", nil)(d)
			d.Hooks[1].TimeoutAction = ecs.DeploymentLifecycleHookActionContinue
		}, want: []string{"the deployment continues."}},
		{name: "failed, reason escaped", change: func(d *cutoverapi.DeploymentDetails) {
			resolved(ecs.DeploymentLifecycleHookStatusFailed, "", nil)(d)
			d.Hooks[1].Reason = "stopped <by> R&D"
		}, want: []string{"*Failed*: stopped &lt;by&gt; R&amp;D."}, text: "Failed: stopped <by> R&D."},
		{name: "deployment stopped while waiting", change: func(d *cutoverapi.DeploymentDetails) {
			d.Hooks[1].Current = false
			d.ServiceDeployment.Status, d.ServiceDeployment.StatusReason = ecs.ServiceDeploymentStatusStopped, "a newer deployment started"
		}, want: []string{"⏹️ web: no longer waiting", "*No longer waiting*: the deployment is STOPPED (a newer deployment started)."}},
		{name: "a linear step", buttons: true, change: func(d *cutoverapi.DeploymentDetails) {
			d.Hooks[1].Stage, d.Hooks[1].Step = ecs.DeploymentLifecycleHookStagePreProductionTrafficShift, 2
		}, want: []string{"paused at *PRE_PRODUCTION_TRAFFIC_SHIFT (step 3)*"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := summarize(detailsFixture(c.change), hookA)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(slackBlocks(s, ""))
			if err != nil {
				t.Fatal(err)
			}
			call := slackCall{Form: map[string][]string{"blocks": {string(b)}}}
			got := call.text(t)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("the message does not say %q:\n%s", w, got)
				}
			}
			if bt := buttons(t, call); (len(bt) == 2) != c.buttons {
				t.Errorf("buttons %v, want buttons %v", bt, c.buttons)
			}
			if c.text != "" && !strings.HasSuffix(s.text(), c.text) {
				t.Errorf("text %q, want %q", s.text(), c.text)
			}
		})
	}
	if _, err := summarize(detailsFixture(nil), "ecs-pause-missing"); err == nil {
		t.Error("a hook the deployment does not have is summarized")
	}
}

func TestSlackMessageNote(t *testing.T) {
	s, _ := summarize(detailsFixture(resolved(ecs.DeploymentLifecycleHookStatusSucceeded, "CONTINUE", &audit.Actor{Kind: audit.KindSlack, ID: "U0ALICE"})), hookA)
	b, _ := json.Marshal(slackBlocks(s, "<@U0BOB> could not roll back: it was resolved"))
	got := slackCall{Form: map[string][]string{"blocks": {string(b)}}}.text(t)
	if !strings.Contains(got, "⚠️ <@U0BOB> could not roll back: it was resolved") || !strings.Contains(got, "*Approved* by <@U0ALICE>") {
		t.Errorf("the note or the outcome is missing:\n%s", got)
	}
}

func TestSlackHeaderLength(t *testing.T) {
	s, _ := summarize(detailsFixture(func(d *cutoverapi.DeploymentDetails) { d.ServiceName = strings.Repeat("w", 200) }), hookA)
	b, _ := json.Marshal(slackBlocks(s, ""))
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	json.Unmarshal(b, &blocks)
	if n := len([]rune(blocks[0].Text.Text)); blocks[0].Type != "header" || n > maxHeaderLength {
		t.Errorf("header of %d characters, Slack takes %d", n, maxHeaderLength)
	}
}

func TestWithHost(t *testing.T) {
	cases := []struct{ url, host, want string }{
		{"http://:8081", "cutover.example.com", "http://cutover.example.com:8081"},
		{"http://0.0.0.0:8081/", "10.0.0.5", "http://10.0.0.5:8081/"},
		{"http://localhost:8081/", "10.0.0.5", "http://10.0.0.5:8081/"},
		{"http://[::]:8081", "::1", "http://[::1]:8081"},
		{"http://lb.internal:8081", "cutover.example.com", "http://lb.internal:8081"},
		{"http://127.0.0.1:8081", "cutover.example.com", "http://127.0.0.1:8081"},
		{"http://:8081", "", "http://:8081"},
		{"", "cutover.example.com", ""},
	}
	for _, c := range cases {
		if got := withHost(c.url, c.host); got != c.want {
			t.Errorf("withHost(%q, %q) = %q, want %q", c.url, c.host, got, c.want)
		}
	}
}
