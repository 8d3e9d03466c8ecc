package cli

import (
	"fmt"
	"strings"
)

// spinner frames of the live view.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// maxLiveTasks and maxLiveHooks bound the task and hook lines of the live
// view.
const (
	maxLiveTasks = 8
	maxLiveHooks = 5
)

// liveLines renders a followed deployment for a terminal width columns
// wide (0: any width), redrawn in place: the state, the traffic, the
// stages, the hooks with their countdowns, the tasks and what can be done
// now. frame turns the spinner; note, when not empty, is shown at the end
// (a lost connection).
func liveLines(d *deployment, frame int, width int, note string) []string {
	sd := d.sd()
	head := "✓"
	switch code, ended := outcome(sd.Status); {
	case !ended:
		head = spinner[frame%len(spinner)]
	case code != exitOK:
		head = "✗"
	}
	lines := []string{fmt.Sprintf("%s %s  %s  %s", head, d.title(), d.state(), fmtDuration(d.elapsed()))}
	add := func(label, text string) {
		lines = append(lines, fmt.Sprintf("  %-11s %s", label, text))
	}
	add("strategy", strategy(sd.DeploymentConfiguration))
	if sd.StatusReason != "" {
		add("reason", sd.StatusReason)
	}
	if d.shiftsTraffic() {
		add("production", strings.TrimSpace(d.traffic(false)+"   "+d.ProductionURL))
		if d.TestURL != "" {
			add("test", strings.TrimSpace(d.traffic(true)+"   "+d.TestURL))
		}
	}
	add("stages", stagesLine(d, width-len("  stages      ")))
	if note := d.bakeNote(); note != "" {
		add("bake", note)
	}
	hooks := d.Hooks[max(len(d.Hooks)-maxLiveHooks, 0):] // older runs: describe shows them
	for i := range hooks {
		h := &hooks[i]
		text := fmt.Sprintf("%s  %s", hookLabel(h), h.Status)
		if note := d.hookNote(h); note != "" {
			text += "  " + note
		}
		add(map[bool]string{true: "hooks"}[i == 0], text)
	}
	tasks := d.sortedTasks()
	add("tasks", d.taskSummary())
	for i, t := range tasks {
		if i == maxLiveTasks {
			add("", fmt.Sprintf("… and %d more", len(tasks)-i))
			break
		}
		line := fmt.Sprintf("%s  %s  %s", shortTaskID(t.TaskArn), d.rev(t.RevisionArn), taskStatus(&t))
		if h := taskHealth(&t); h != "" {
			line += "  " + h
		}
		if t.TargetHealth != "" {
			line += "  target " + t.TargetHealth
		}
		add("", line)
	}
	if hints := d.actionHints(); len(hints) > 0 && d.ongoing() {
		for _, h := range hints {
			lines = append(lines, "  "+h)
		}
	}
	if note != "" {
		lines = append(lines, "  ! "+note)
	}
	for i, l := range lines {
		lines[i] = truncate(l, width)
	}
	return lines
}

// shortTaskID is the start of a task's ID, enough to tell tasks apart.
func shortTaskID(arn string) string {
	id := lastPart(arn)
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// stagesLine renders the stage timeline on one line of at most width
// characters (0: any), keeping the latest stages: "… SCALE_UP 8s ›
// POST_SCALE_UP 1s".
func stagesLine(d *deployment, width int) string {
	var parts []string
	for i, s := range d.Stages {
		dur := d.now.Sub(s.StartedAt)
		if s.EndedAt != nil {
			dur = s.EndedAt.Sub(s.StartedAt)
		} else if i != len(d.Stages)-1 {
			dur = 0
		}
		parts = append(parts, stageLabel(string(s.Stage), s.Step, s.Rollback)+" "+fmtDuration(dur))
	}
	line := strings.Join(parts, " › ")
	for width > 0 && len(parts) > 1 && len([]rune(line)) > width {
		parts = parts[1:]
		line = "… " + strings.Join(parts, " › ")
	}
	return line
}
