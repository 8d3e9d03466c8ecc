package cli

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// logView renders a followed deployment as lines appended when something
// changes, for output that is not a terminal (a CI log, a pipe). Stage
// lines come from the deployment's timeline, hook lines from every status
// a hook is seen in, and the rollback from its record, so they are the
// same however the reads fall; the traffic and task lines, and the
// progress line of a quiet spell, say what a read saw.
type logView struct {
	started       bool
	stages        int
	hooks         map[string]ecs.DeploymentLifecycleHookStatus
	rollbackShown bool
	// traffic and tasks are the last lines printed about them.
	traffic, tasks string
	bakeShown      bool
	// last is when a line was last printed; quiet is how long to go
	// without one before a progress line.
	last  time.Time
	quiet time.Duration
}

// logProgressEvery is how long a followed deployment may go without a
// line before a progress line says how it stands.
const logProgressEvery = 30 * time.Second

func newLogView() *logView {
	return &logView{hooks: map[string]ecs.DeploymentLifecycleHookStatus{}, quiet: logProgressEvery}
}

// lines returns the lines to append for d, as read at d.now.
func (l *logView) lines(d *deployment) []string {
	var out []string
	at := func(t time.Time, format string, args ...any) {
		out = append(out, fmtClock(t, d.loc)+"  "+fmt.Sprintf(format, args...))
	}
	sd := d.sd()
	if !l.started {
		l.started = true
		at(d.now, "following %s (%s)", d.title(), strategy(sd.DeploymentConfiguration))
	}
	// Hooks seen before that changed come first, then each new stage
	// followed by the hooks it started, then the other new hooks: the
	// same lines in the same order however the reads fall.
	hookLine := func(h *cutoverapi.Hook) {
		l.hooks[h.HookID] = h.Status
		line := fmt.Sprintf("hook %s %s %s", hookLabel(h), h.Status, h.HookID)
		if note := d.hookNote(h); note != "" {
			line += ": " + note
		}
		at(d.now, "%s", line)
		if awaiting(h) {
			arn := sd.ServiceDeploymentArn
			out = append(out, "          approve: cutover approve --deployment "+arn+" --hook-id "+h.HookID,
				"          reject:  cutover reject --deployment "+arn+" --hook-id "+h.HookID)
		}
	}
	var fresh []*cutoverapi.Hook
	for i := range d.Hooks {
		h := &d.Hooks[i]
		switch was, ok := l.hooks[h.HookID]; {
		case !ok:
			fresh = append(fresh, h)
		case was != h.Status:
			hookLine(h)
		}
	}
	rollback := func() {
		if rb := sd.Rollback; rb != nil && !l.rollbackShown {
			l.rollbackShown = true
			at(ecs.TimeValue(rb.StartedAt), "rolling back to %s: %s", d.rev(rb.ServiceRevisionArn), rb.Reason)
		}
	}
	for ; l.stages < len(d.Stages); l.stages++ {
		s := d.Stages[l.stages]
		if s.Rollback {
			rollback()
		}
		at(s.StartedAt, "stage %s", stageLabel(string(s.Stage), s.Step, s.Rollback))
		fresh = slices.DeleteFunc(fresh, func(h *cutoverapi.Hook) bool {
			if string(h.Stage) != string(s.Stage) || h.Step != s.Step || h.Rollback != s.Rollback || h.StartedAt.Before(s.StartedAt) {
				return false
			}
			hookLine(h)
			return true
		})
	}
	for _, h := range fresh {
		hookLine(h)
	}
	rollback()
	if note := d.bakeNote(); note != "" && !l.bakeShown {
		l.bakeShown = true
		at(d.now, "%s", note)
		out = append(out, "          end it now: cutover end-bake --deployment "+sd.ServiceDeploymentArn)
	}
	if d.shiftsTraffic() {
		if tr := d.trafficLine(); tr != l.traffic {
			l.traffic = tr
			at(d.now, "traffic %s", tr)
		}
	}
	if ts := d.taskSummary(); ts != l.tasks {
		l.tasks = ts
		at(d.now, "tasks %s", ts)
	}
	if !d.ongoing() {
		line := fmt.Sprintf("deployment %s after %s", sd.Status, fmtDuration(d.elapsed()))
		if sd.StatusReason != "" {
			line += ": " + sd.StatusReason
		}
		at(d.now, "%s", line)
	}
	switch {
	case len(out) > 0:
		l.last = d.now
	case l.last.IsZero():
		l.last = d.now
	case d.now.Sub(l.last) >= l.quiet:
		l.last = d.now
		line := fmt.Sprintf("… %s, %s so far", d.state(), fmtDuration(d.elapsed()))
		if note := d.bakeNote(); note != "" {
			line += "; " + note
		}
		for i := range d.Hooks {
			if h := &d.Hooks[i]; awaiting(h) {
				line += "; " + hookNote(h, d.now)
			}
		}
		at(d.now, "%s", line)
	}
	return out
}
