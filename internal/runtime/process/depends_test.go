package process

import (
	"testing"

	"github.com/cutover/cutover/internal/runtime"
)

func TestDependencyMet(t *testing.T) {
	code := func(n int) *int { return &n }
	withCheck := runtime.ContainerSpec{Name: "dep", HealthCheck: &runtime.HealthCheck{Command: []string{"CMD", "true"}}}
	noneCheck := runtime.ContainerSpec{Name: "dep", HealthCheck: &runtime.HealthCheck{Command: []string{"NONE"}}}
	pending := runtime.ContainerStatus{State: runtime.StatePending}
	running := runtime.ContainerStatus{State: runtime.StateRunning, Health: runtime.HealthUnknown}
	healthy := runtime.ContainerStatus{State: runtime.StateRunning, Health: runtime.HealthHealthy}
	unhealthy := runtime.ContainerStatus{State: runtime.StateRunning, Health: runtime.HealthUnhealthy}
	exited0 := runtime.ContainerStatus{State: runtime.StateStopped, ExitCode: code(0)}
	exited3 := runtime.ContainerStatus{State: runtime.StateStopped, ExitCode: code(3)}
	healthyExited := runtime.ContainerStatus{State: runtime.StateStopped, ExitCode: code(0), Health: runtime.HealthHealthy}
	neverRan := runtime.ContainerStatus{State: runtime.StateStopped, Reason: "CannotStartContainerError: no such file"}
	for _, tc := range []struct {
		name    string
		cond    runtime.Condition
		spec    runtime.ContainerSpec
		st      runtime.ContainerStatus
		met     bool
		wantErr string
	}{
		{"start waits for the launch", runtime.ConditionStart, withCheck, pending, false, ""},
		{"start", runtime.ConditionStart, withCheck, running, true, ""},
		{"start holds after the exit", runtime.ConditionStart, withCheck, exited3, true, ""},
		{"start of a container that never ran", runtime.ConditionStart, withCheck, neverRan, false, "CannotStartContainerError: no such file"},
		{"complete waits", runtime.ConditionComplete, withCheck, running, false, ""},
		{"complete on any code", runtime.ConditionComplete, withCheck, exited3, true, ""},
		{"success waits", runtime.ConditionSuccess, withCheck, running, false, ""},
		{"success", runtime.ConditionSuccess, withCheck, exited0, true, ""},
		{"success fails on a non-zero code", runtime.ConditionSuccess, withCheck, exited3, false, "it exited with code 3"},
		{"healthy waits for the check", runtime.ConditionHealthy, withCheck, running, false, ""},
		{"healthy", runtime.ConditionHealthy, withCheck, healthy, true, ""},
		{"healthy holds after the exit", runtime.ConditionHealthy, withCheck, healthyExited, true, ""},
		{"healthy fails when unhealthy", runtime.ConditionHealthy, withCheck, unhealthy, false, "it is unhealthy"},
		{"healthy fails on an exit", runtime.ConditionHealthy, withCheck, exited0, false, "it exited"},
		{"healthy fails without a check", runtime.ConditionHealthy, runtime.ContainerSpec{Name: "dep"}, running, false, "it has no health check"},
		{"healthy fails with check NONE", runtime.ConditionHealthy, noneCheck, running, false, "it has no health check"},
		{"healthy waits for the launch", runtime.ConditionHealthy, runtime.ContainerSpec{Name: "dep"}, pending, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			met, err := dependencyMet(runtime.Dependency{Container: "dep", Condition: tc.cond}, tc.spec, tc.st)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if met != tc.met || gotErr != tc.wantErr {
				t.Errorf("dependencyMet = %v, %q; want %v, %q", met, gotErr, tc.met, tc.wantErr)
			}
		})
	}
}
