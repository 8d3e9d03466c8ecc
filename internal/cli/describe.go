package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/cutover/cutover/internal/ecs"
)

// renderDescribe writes everything about a deployment, for
// `cutover deployments describe`.
func renderDescribe(w io.Writer, d *deployment) {
	sd := d.sd()
	t := newTable(w)
	row(t, "Deployment", sd.ServiceDeploymentArn)
	row(t, "Service", d.ClusterName+"/"+d.ServiceName)
	status := d.state()
	if sd.StatusReason != "" {
		status += " — " + sd.StatusReason
	}
	row(t, "Status", status)
	row(t, "Strategy", strategy(sd.DeploymentConfiguration))
	row(t, "Created", fmtTime(ecs.TimeValue(sd.CreatedAt), d.loc))
	if d.ongoing() {
		row(t, "Running for", fmtDuration(d.elapsed()))
	} else {
		end := ecs.TimeValue(sd.FinishedAt)
		if end.IsZero() {
			end = ecs.TimeValue(sd.StoppedAt)
		}
		row(t, "Ended", fmt.Sprintf("%s (took %s)", fmtTime(end, d.loc), fmtDuration(d.elapsed())))
	}
	if rb := sd.Rollback; rb != nil {
		row(t, "Rollback", fmt.Sprintf("to %s at %s: %s", d.rev(rb.ServiceRevisionArn), fmtClock(ecs.TimeValue(rb.StartedAt), d.loc), rb.Reason))
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil && cb.Status != "" && cb.Status != ecs.ServiceDeploymentRollbackMonitorsStatusDisabled {
		row(t, "Circuit breaker", fmt.Sprintf("%s, %d of %d failed tasks", cb.Status, ecs.Int32Value(cb.FailureCount), ecs.Int32Value(cb.Threshold)))
	}
	if al := sd.Alarms; al != nil && al.Status != "" && al.Status != ecs.ServiceDeploymentRollbackMonitorsStatusDisabled {
		s := fmt.Sprintf("%s: %s", al.Status, strings.Join(al.AlarmNames, ", "))
		if len(al.TriggeredAlarmNames) > 0 {
			s += "; triggered: " + strings.Join(al.TriggeredAlarmNames, ", ")
		}
		row(t, "Alarms", s)
	}
	if note := d.bakeNote(); note != "" {
		row(t, "Bake time", note)
	} else if d.BakeEndedAt != nil {
		row(t, "Bake time", "ended early at "+fmtClock(*d.BakeEndedAt, d.loc))
	}
	if d.ProductionURL != "" {
		row(t, "Production", d.ProductionURL)
	}
	if d.TestURL != "" {
		row(t, "Test", d.TestURL)
	}
	t.Flush()

	fmt.Fprintln(w, "\nRevisions")
	t = newTable(w)
	cols := []string{"  ROLE", "TASK DEFINITION", "RUNNING", "PENDING", "REQUESTED"}
	if d.shiftsTraffic() {
		cols = append(cols, "PRODUCTION", "TEST")
	}
	row(t, cols...)
	for _, r := range d.Revisions {
		cols := []string{"  " + r.Role, d.rev(r.Arn), fmt.Sprint(r.Running), fmt.Sprint(r.Pending), fmt.Sprint(r.Requested)}
		if d.shiftsTraffic() {
			cols = append(cols, fmtPercent(r.ProductionWeight), fmtPercent(r.TestWeight))
		}
		row(t, cols...)
	}
	t.Flush()

	fmt.Fprintln(w, "\nStages")
	t = newTable(w)
	row(t, "  STAGE", "STARTED", "DURATION")
	for i, s := range d.Stages {
		dur := ""
		switch {
		case s.EndedAt != nil:
			dur = fmtDuration(s.EndedAt.Sub(s.StartedAt))
		case i == len(d.Stages)-1:
			dur = fmtDuration(d.now.Sub(s.StartedAt)) + " so far"
		}
		row(t, "  "+stageLabel(string(s.Stage), s.Step, s.Rollback), fmtClock(s.StartedAt, d.loc), dur)
	}
	t.Flush()

	fmt.Fprintln(w, "\nHooks")
	if len(d.Hooks) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		t = newTable(w)
		row(t, "  HOOK", "STATUS", "ID", "STARTED", "NOTE")
		for i := range d.Hooks {
			h := &d.Hooks[i]
			row(t, "  "+hookLabel(h), string(h.Status), h.HookID, fmtClock(h.StartedAt, d.loc), d.hookNote(h))
		}
		t.Flush()
	}

	fmt.Fprintln(w, "\nTasks")
	if len(d.Tasks) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		t = newTable(w)
		row(t, "  TASK", "TASK DEFINITION", "STATUS", "HEALTH", "TARGET", "NOTE")
		for _, tk := range d.sortedTasks() {
			row(t, "  "+lastPart(tk.TaskArn), d.rev(tk.RevisionArn), taskStatus(&tk), orDash(taskHealth(&tk)), orDash(tk.TargetHealth), tk.StoppedReason)
		}
		t.Flush()
	}

	fmt.Fprintln(w, "\nAudit")
	if len(d.Audit) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		t = newTable(w)
		row(t, "  TIME", "ACTION", "BY", "DETAIL")
		for _, r := range d.Audit {
			detail := r.Detail
			if r.HookID != "" {
				detail = strings.TrimSpace("hook " + r.HookID + " " + detail)
			}
			row(t, "  "+fmtClock(r.Time, d.loc), r.Action, r.Actor.String(), detail)
		}
		t.Flush()
	}

	if hints := d.actionHints(); len(hints) > 0 {
		fmt.Fprintln(w)
		for _, h := range hints {
			fmt.Fprintln(w, h)
		}
	}
}
