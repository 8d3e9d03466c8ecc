package deploy

import (
	"slices"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// AlarmState is what the engine knows of a CloudWatch alarm a deployment
// watches: its state and since when.
type AlarmState struct {
	Name  string
	State string // OK, ALARM or INSUFFICIENT_DATA
	Since time.Time
}

// AlarmStateAlarm is the alarm state that fails a deployment.
const AlarmStateAlarm = "ALARM"

// AlarmsEnabled reports whether the deployment watches alarms.
func (d *Deployment) AlarmsEnabled() bool {
	a := d.Config.Alarms
	return a != nil && ecs.BoolValue(a.Enable) && len(a.AlarmNames) > 0
}

// triggeredAlarms returns the watched alarms that went into ALARM since
// the deployment started: an alarm already in ALARM then is ignored for
// this deployment, as ECS does. Alarms are watched from the start through
// the bake time; a rollback is not watched.
func (d *Deployment) triggeredAlarms(alarms []AlarmState) []string {
	if !d.AlarmsEnabled() || d.Rollback != nil || d.StartedAt.IsZero() ||
		ShiftsTraffic(d.Strategy) && d.Stage == ecs.ServiceDeploymentLifecycleStageCleanUp {
		return nil
	}
	var out []string
	for _, a := range alarms {
		if a.State == AlarmStateAlarm && a.Since.After(d.StartedAt) && slices.Contains(d.Config.Alarms.AlarmNames, a.Name) {
			out = append(out, a.Name)
		}
	}
	slices.Sort(out)
	return out
}

// checkAlarms fails the deployment when a watched alarm went off.
func (d *Deployment) checkAlarms(p *Plan, alarms []AlarmState, now time.Time) {
	names := d.triggeredAlarms(alarms)
	if len(names) == 0 {
		return
	}
	d.TriggeredAlarms = names
	d.fail(p, "ECS deployment alarms triggered: "+strings.Join(names, ", "), ecs.BoolValue(d.Config.Alarms.Rollback), now)
}
