package deploy

import (
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func TestDeploymentAlarms(t *testing.T) {
	watch := func(rollback bool) *ecs.DeploymentAlarms {
		return &ecs.DeploymentAlarms{Enable: ecs.Bool(true), Rollback: ecs.Bool(rollback), AlarmNames: []string{"green-5xx", "latency"}}
	}
	started := t0.Add(-time.Minute)
	cases := []struct {
		name      string
		alarms    *ecs.DeploymentAlarms
		stage     ecs.ServiceDeploymentLifecycleStage
		states    []AlarmState
		status    status
		triggered []string
	}{
		{name: "all OK", alarms: watch(true), stage: ecs.ServiceDeploymentLifecycleStageBakeTime,
			states: []AlarmState{{"green-5xx", "OK", t0}}, status: inProgress},
		{name: "in ALARM since before the start: ignored", alarms: watch(true), stage: ecs.ServiceDeploymentLifecycleStageBakeTime,
			states: []AlarmState{{"latency", "ALARM", started.Add(-time.Second)}}, status: inProgress},
		{name: "goes off during bake: rolls back", alarms: watch(true), stage: ecs.ServiceDeploymentLifecycleStageBakeTime,
			states: []AlarmState{{"latency", "ALARM", t0}, {"green-5xx", "ALARM", t0}, {"other", "ALARM", t0}},
			status: rollbackInProgress, triggered: []string{"green-5xx", "latency"}},
		{name: "goes off without rollback: stops", alarms: watch(false), stage: ecs.ServiceDeploymentLifecycleStageBakeTime,
			states: []AlarmState{{"green-5xx", "ALARM", t0}}, status: stopped, triggered: []string{"green-5xx"}},
		{name: "disabled", alarms: &ecs.DeploymentAlarms{Enable: ecs.Bool(false), AlarmNames: []string{"green-5xx"}},
			stage: ecs.ServiceDeploymentLifecycleStageBakeTime, states: []AlarmState{{"green-5xx", "ALARM", t0}}, status: inProgress},
		{name: "not watched once cleaning up", alarms: watch(true), stage: ecs.ServiceDeploymentLifecycleStageCleanUp,
			states: []AlarmState{{"green-5xx", "ALARM", t0}}, status: inProgress},
		{name: "unwatched alarm", alarms: watch(true), stage: ecs.ServiceDeploymentLifecycleStageBakeTime,
			states: []AlarmState{{"other", "ALARM", t0}}, status: inProgress},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := bgDep(inProgress, c.stage)
			d.StartedAt, d.Config.Alarms = started, c.alarms
			tasks := []Task{healthy("b1", revA), healthy("b2", revA), healthy("g1", revB), healthy("g2", revB)}
			p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: traffic(tgGreen, tgGreen), Tasks: tasks, Alarms: c.states})
			got := p.Deployment
			if got.Status != c.status || len(got.TriggeredAlarms) != len(c.triggered) {
				t.Fatalf("status %s triggered %v (%s), want %s %v", got.Status, got.TriggeredAlarms, got.StatusReason, c.status, c.triggered)
			}
			for i := range c.triggered {
				if got.TriggeredAlarms[i] != c.triggered[i] {
					t.Fatalf("triggered %v, want %v", got.TriggeredAlarms, c.triggered)
				}
			}
		})
	}
}
