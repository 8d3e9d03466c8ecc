package controller

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
)

func TestTaskSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := write("base.env", "# defaults\nMODE=dev\nLEVEL=info\nONLY_BASE=1\n")
	override := write("override.env", "MODE=staging\nLEVEL=debug\n")

	task := &state.Task{ID: "t1", ServiceName: "web", Revision: "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/1"}
	task.ClusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/c"
	task.TaskArn = "arn:aws:ecs:us-east-1:000000000000:task/c/t1"
	taskLabels := map[string]string{
		"com.amazonaws.ecs.cluster":                 task.ClusterArn,
		"com.amazonaws.ecs.task-arn":                task.TaskArn,
		"com.amazonaws.ecs.task-definition-family":  "web",
		"com.amazonaws.ecs.task-definition-version": "3",
		"io.cutover.service":                        "web",
		"io.cutover.revision":                       task.Revision,
	}
	standalone := &state.Task{ID: "t2"}
	standalone.ClusterArn, standalone.TaskArn = task.ClusterArn, "arn:aws:ecs:us-east-1:000000000000:task/c/t2"

	td := func(volumes []ecs.Volume, cds ...ecs.ContainerDefinition) *ecs.TaskDefinition {
		return &ecs.TaskDefinition{Family: "web", Revision: ecs.Int32(3), Volumes: volumes, ContainerDefinitions: cds}
	}
	tests := []struct {
		name string
		task *state.Task
		td   *ecs.TaskDefinition
		want runtime.TaskSpec
		// err, when set, is what the error says (and the spec is not
		// compared); failure says whether it is a *taskFailure rather
		// than an invalid spec.
		err     string
		failure bool
	}{
		{
			name: "minimal",
			task: task,
			td:   td(nil, ecs.ContainerDefinition{Name: "app", Image: "app:1", Command: []string{"serve"}}),
			want: runtime.TaskSpec{ID: "t1", Labels: taskLabels, Containers: []runtime.ContainerSpec{
				{Name: "app", Image: "app:1", Command: []string{"serve"}, Essential: true},
			}},
		},
		{
			name: "every field",
			task: task,
			td: td(
				[]ecs.Volume{
					{Name: "data", Host: &ecs.HostVolumeProperties{SourcePath: "/srv/data"}},
					{Name: "scratch"},
					{Name: "empty-host", Host: &ecs.HostVolumeProperties{}},
					{Name: "cache", DockerVolumeConfiguration: &ecs.DockerVolumeConfiguration{Scope: ecs.ScopeTask}},
				},
				ecs.ContainerDefinition{
					Name: "app", Image: "nginx:1", Essential: ecs.Bool(true),
					EntryPoint: []string{"/entry.sh"}, Command: []string{"nginx", "-g", "daemon off;"},
					WorkingDirectory: "/srv", User: "101:101",
					Cpu: ecs.Int32(256), Memory: ecs.Int32(512), MemoryReservation: ecs.Int32(128),
					Ulimits:                []ecs.Ulimit{{Name: ecs.UlimitNameNofile, SoftLimit: ecs.Int32(1024), HardLimit: ecs.Int32(4096)}},
					DockerLabels:           map[string]string{"team": "web"},
					ReadonlyRootFilesystem: ecs.Bool(true),
					MountPoints: []ecs.MountPoint{
						{SourceVolume: "data", ContainerPath: "/usr/share/nginx/html", ReadOnly: ecs.Bool(true)},
						{SourceVolume: "scratch", ContainerPath: "/tmp"},
						{SourceVolume: "empty-host", ContainerPath: "/empty"},
						{SourceVolume: "cache", ContainerPath: "/var/cache/nginx", ReadOnly: ecs.Bool(false)},
					},
					PortMappings: []ecs.PortMapping{{ContainerPort: ecs.Int32(80), HostPort: ecs.Int32(8080), Protocol: ecs.TransportProtocolTcp}},
					StopTimeout:  ecs.Int32(10),
					HealthCheck: &ecs.HealthCheck{
						Command:  []string{"CMD-SHELL", "curl -f http://localhost/"},
						Interval: ecs.Int32(5), Timeout: ecs.Int32(2), Retries: ecs.Int32(4), StartPeriod: ecs.Int32(15),
					},
					DependsOn: []ecs.ContainerDependency{
						{ContainerName: "init", Condition: ecs.ContainerConditionSuccess},
						{ContainerName: "sidecar", Condition: ecs.ContainerConditionHealthy},
					},
				},
				ecs.ContainerDefinition{Name: "init", Image: "busybox", Essential: ecs.Bool(false), Command: []string{"true"}},
				ecs.ContainerDefinition{Name: "sidecar", Image: "busybox", Essential: ecs.Bool(false), Command: []string{"sleep", "1d"},
					HealthCheck: &ecs.HealthCheck{Command: []string{"CMD", "true"}}},
			),
			want: runtime.TaskSpec{ID: "t1", Labels: taskLabels, Containers: []runtime.ContainerSpec{
				{
					Name: "app", Image: "nginx:1", Essential: true,
					EntryPoint: []string{"/entry.sh"}, Command: []string{"nginx", "-g", "daemon off;"},
					WorkingDir: "/srv", User: "101:101", CPU: 256, Memory: 512, MemoryReservation: 128,
					Ulimits:                []runtime.Ulimit{{Name: "nofile", Soft: 1024, Hard: 4096}},
					Labels:                 map[string]string{"team": "web"},
					ReadonlyRootFilesystem: true,
					Mounts: []runtime.Mount{
						{Volume: "data", Source: "/srv/data", Target: "/usr/share/nginx/html", ReadOnly: true},
						{Volume: "scratch", Target: "/tmp"},
						{Volume: "empty-host", Target: "/empty"},
						{Volume: "cache", Target: "/var/cache/nginx"},
					},
					Ports:       []runtime.PortMapping{{ContainerPort: 80, HostPort: 8080, Protocol: "tcp"}},
					StopTimeout: 10 * time.Second,
					HealthCheck: &runtime.HealthCheck{
						Command:  []string{"CMD-SHELL", "curl -f http://localhost/"},
						Interval: 5 * time.Second, Timeout: 2 * time.Second, Retries: 4, StartPeriod: 15 * time.Second,
					},
					DependsOn: []runtime.Dependency{
						{Container: "init", Condition: runtime.ConditionSuccess},
						{Container: "sidecar", Condition: runtime.ConditionHealthy},
					},
				},
				{Name: "init", Image: "busybox", Command: []string{"true"}},
				{Name: "sidecar", Image: "busybox", Command: []string{"sleep", "1d"}, HealthCheck: &runtime.HealthCheck{Command: []string{"CMD", "true"}}},
			}},
		},
		{
			name: "a task of no service has no service labels",
			task: standalone,
			td:   td(nil, ecs.ContainerDefinition{Name: "app", Command: []string{"serve"}}),
			want: runtime.TaskSpec{ID: "t2", Labels: map[string]string{
				"com.amazonaws.ecs.cluster":                 task.ClusterArn,
				"com.amazonaws.ecs.task-arn":                standalone.TaskArn,
				"com.amazonaws.ecs.task-definition-family":  "web",
				"com.amazonaws.ecs.task-definition-version": "3",
			}, Containers: []runtime.ContainerSpec{{Name: "app", Command: []string{"serve"}, Essential: true}}},
		},
		{
			name: "environment files, a later one and the environment winning",
			task: task,
			td: td(nil, ecs.ContainerDefinition{
				Name: "app", Command: []string{"serve"},
				EnvironmentFiles: []ecs.EnvironmentFile{
					{Value: base, Type: ecs.EnvironmentFileTypeS3},
					{Value: "file://" + override, Type: ecs.EnvironmentFileTypeS3},
				},
				Environment: []ecs.KeyValuePair{{Name: "MODE", Value: "prod"}, {Name: "EXTRA", Value: "x"}},
			}),
			want: runtime.TaskSpec{ID: "t1", Labels: taskLabels, Containers: []runtime.ContainerSpec{{
				Name: "app", Command: []string{"serve"}, Essential: true,
				Env: map[string]string{"MODE": "prod", "LEVEL": "debug", "ONLY_BASE": "1", "EXTRA": "x"},
			}}},
		},
		{
			name: "missing environment file",
			task: task,
			td: td(nil, ecs.ContainerDefinition{Name: "app", Command: []string{"serve"},
				EnvironmentFiles: []ecs.EnvironmentFile{{Value: filepath.Join(dir, "missing.env"), Type: ecs.EnvironmentFileTypeS3}}}),
			err:     "ResourceInitializationError: failed to read environment file " + filepath.Join(dir, "missing.env") + ": no such file or directory",
			failure: true,
		},
		{
			name: "environment file on S3",
			task: task,
			td: td(nil, ecs.ContainerDefinition{Name: "app", Command: []string{"serve"},
				EnvironmentFiles: []ecs.EnvironmentFile{{Value: "arn:aws:s3:::bucket/app.env", Type: ecs.EnvironmentFileTypeS3}}}),
			err:     "ResourceInitializationError: failed to read environment file arn:aws:s3:::bucket/app.env: not a local file: give an absolute path or a file:// URL (S3 is not supported)",
			failure: true,
		},
		{
			name: "mount of an unknown volume",
			task: task,
			td: td(nil, ecs.ContainerDefinition{Name: "app", Command: []string{"serve"},
				MountPoints: []ecs.MountPoint{{SourceVolume: "gone", ContainerPath: "/x"}}}),
			err: `invalid task spec: container "app" mounts volume "gone", which the task definition does not have`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := taskSpec(tt.task, tt.td)
			if tt.err != "" {
				var failure *taskFailure
				if err == nil || err.Error() != tt.err || errors.As(err, &failure) != tt.failure {
					t.Fatalf("error %v (a task failure: %v), want %q (a task failure: %v)", err, errors.As(err, &failure), tt.err, tt.failure)
				}
				if !tt.failure && !errors.Is(err, runtime.ErrInvalidSpec) {
					t.Errorf("error %v is not an invalid spec", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("spec\n got %+v\nwant %+v", got, tt.want)
			}
			if err := runtime.Validate(got); err != nil {
				t.Errorf("the spec does not validate: %v", err)
			}
		})
	}
}
