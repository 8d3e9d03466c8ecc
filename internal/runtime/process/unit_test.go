package process

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

func TestHealthTracker(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	type obs struct {
		ok   bool
		at   time.Duration
		want runtime.Health
	}
	for _, tc := range []struct {
		name string
		hc   runtime.HealthCheck
		obs  []obs
	}{
		{"success is healthy", runtime.HealthCheck{}, []obs{
			{true, time.Second, runtime.HealthHealthy},
		}},
		{"default retries is 3", runtime.HealthCheck{}, []obs{
			{false, 1 * time.Second, runtime.HealthUnknown},
			{false, 2 * time.Second, runtime.HealthUnknown},
			{false, 3 * time.Second, runtime.HealthUnhealthy},
		}},
		{"retries are consecutive", runtime.HealthCheck{Retries: 2}, []obs{
			{true, 1 * time.Second, runtime.HealthHealthy},
			{false, 2 * time.Second, runtime.HealthHealthy},
			{true, 3 * time.Second, runtime.HealthHealthy},
			{false, 4 * time.Second, runtime.HealthHealthy},
			{false, 5 * time.Second, runtime.HealthUnhealthy},
			{true, 6 * time.Second, runtime.HealthHealthy},
		}},
		{"start period failures do not count", runtime.HealthCheck{Retries: 1, StartPeriod: 10 * time.Second}, []obs{
			{false, 1 * time.Second, runtime.HealthUnknown},
			{false, 9 * time.Second, runtime.HealthUnknown},
			{false, 10 * time.Second, runtime.HealthUnhealthy},
		}},
		{"success during start period counts", runtime.HealthCheck{Retries: 2, StartPeriod: 10 * time.Second}, []obs{
			{true, 1 * time.Second, runtime.HealthHealthy},
			{false, 2 * time.Second, runtime.HealthHealthy},
			{false, 3 * time.Second, runtime.HealthUnhealthy},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHealthTracker(tc.hc, start)
			for i, o := range tc.obs {
				if got := h.observe(o.ok, at(o.at)); got != o.want {
					t.Fatalf("observation %d (ok=%v at %s) = %s, want %s", i, o.ok, o.at, got, o.want)
				}
			}
		})
	}
}

func TestValidateSpec(t *testing.T) {
	good := func() runtime.ContainerSpec {
		return runtime.ContainerSpec{Name: "c", Command: []string{"true"}}
	}
	with := func(f func(*runtime.ContainerSpec)) runtime.TaskSpec {
		c := good()
		f(&c)
		return runtime.TaskSpec{ID: "task-1.a_b", Containers: []runtime.ContainerSpec{c}}
	}
	valid := []runtime.TaskSpec{
		with(func(*runtime.ContainerSpec) {}),
		with(func(c *runtime.ContainerSpec) {
			c.Ports = []runtime.PortMapping{{ContainerPort: 80}, {ContainerPort: 81, HostPort: 8081, Protocol: "UDP"}}
			c.HealthCheck = &runtime.HealthCheck{Command: []string{"CMD-SHELL", "true"}}
		}),
		with(func(c *runtime.ContainerSpec) { c.HealthCheck = &runtime.HealthCheck{Command: []string{"NONE"}} }),
	}
	for i, spec := range valid {
		if err := validateSpec(spec); err != nil {
			t.Errorf("valid spec %d: %v", i, err)
		}
	}
	invalid := map[string]runtime.TaskSpec{
		"hidden id":     {ID: ".x", Containers: []runtime.ContainerSpec{good()}},
		"space id":      {ID: "a b", Containers: []runtime.ContainerSpec{good()}},
		"long id":       {ID: strings.Repeat("a", 256), Containers: []runtime.ContainerSpec{good()}},
		"empty command": with(func(c *runtime.ContainerSpec) { c.Command = nil }),
		"empty argv0":   with(func(c *runtime.ContainerSpec) { c.Command = []string{""} }),
		"bad env":       with(func(c *runtime.ContainerSpec) { c.Env = map[string]string{"A=B": "x"} }),
		"bad name":      with(func(c *runtime.ContainerSpec) { c.Name = "a/b" }),
		"port zero":     with(func(c *runtime.ContainerSpec) { c.Ports = []runtime.PortMapping{{}} }),
		"port too big":  with(func(c *runtime.ContainerSpec) { c.Ports = []runtime.PortMapping{{ContainerPort: 70000}} }),
		"bad protocol":  with(func(c *runtime.ContainerSpec) { c.Ports = []runtime.PortMapping{{ContainerPort: 1, Protocol: "sctp"}} }),
		"host port twice": with(func(c *runtime.ContainerSpec) {
			c.Ports = []runtime.PortMapping{{ContainerPort: 1, HostPort: 9}, {ContainerPort: 2, HostPort: 9}}
		}),
		"CMD alone": with(func(c *runtime.ContainerSpec) { c.HealthCheck = &runtime.HealthCheck{Command: []string{"CMD"}} }),
		"shell two args": with(func(c *runtime.ContainerSpec) {
			c.HealthCheck = &runtime.HealthCheck{Command: []string{"CMD-SHELL", "a", "b"}}
		}),
		"negative retry": with(func(c *runtime.ContainerSpec) {
			c.HealthCheck = &runtime.HealthCheck{Command: []string{"CMD", "x"}, Retries: -1}
		}),
		"negative stop": with(func(c *runtime.ContainerSpec) { c.StopTimeout = -time.Second }),
	}
	for name, spec := range invalid {
		if err := validateSpec(spec); !errors.Is(err, runtime.ErrInvalidSpec) {
			t.Errorf("%s: validateSpec = %v, want ErrInvalidSpec", name, err)
		}
	}
}

func TestRotatingFileAndTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	r, err := openRotatingFile(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, chunk := range []string{"abc", "defghij", "klmnopqrstuvwxy", "z"} {
		all.WriteString(chunk)
		if _, err := r.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// 26 bytes in files of at most 10: "klmnopqrst" in .1, "uvwxyz" current.
	for _, tc := range []struct {
		max  int64
		want string
	}{{0, "klmnopqrstuvwxyz"}, {3, "xyz"}, {8, "stuvwxyz"}, {100, "klmnopqrstuvwxyz"}} {
		var buf bytes.Buffer
		if err := tailFiles(&buf, []string{path + ".1", path}, tc.max); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("tail %d = %q, want %q", tc.max, buf.String(), tc.want)
		}
	}
	var buf bytes.Buffer
	if err := tailFiles(&buf, []string{path + ".missing", path}, 0); err != nil || buf.String() != "uvwxyz" {
		t.Errorf("tail with a missing file = %q, %v", buf.String(), err)
	}
}

func TestContainerEnv(t *testing.T) {
	cs := runtime.ContainerSpec{
		Env:   map[string]string{"B": "2", "A": "1", "PORT": "overridden"},
		Ports: []runtime.PortMapping{{ContainerPort: 80, HostPort: 5000}, {ContainerPort: 81, HostPort: 5001}},
	}
	got := containerEnv([]string{"HOME=/h", "A=0"}, cs)
	want := []string{"HOME=/h", "A=0", "A=1", "B=2", "PORT=overridden", "PORT=5000", "PORT_80=5000", "PORT_81=5001"}
	if !slices.Equal(got, want) {
		t.Errorf("containerEnv = %q, want %q", got, want)
	}
	if v := lookupEnv(got, "PORT"); v != "5000" {
		t.Errorf("effective PORT = %q, want 5000", v)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := lookPath("tool", "/nonexistent:"+dir, "/"); err != nil || got != exe {
		t.Errorf("lookPath(tool) = %q, %v; want %q", got, err, exe)
	}
	if _, err := lookPath("data", dir, "/"); err == nil {
		t.Error("lookPath found a file that is not executable")
	}
	if got, _ := lookPath("./x/y", "", "/"); got != "./x/y" {
		t.Errorf("lookPath(./x/y) = %q, want it unchanged", got)
	}
}

func TestReadProcStat(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.pgrp != syscall.Getpgrp() || st.startTicks == 0 {
		t.Errorf("readProcStat(self) = %+v, want pgrp %d and a start time", st, syscall.Getpgrp())
	}
	if _, err := readProcStat(1 << 30); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("readProcStat(no such pid) = %v, want not exist", err)
	}
	if killLeftoverGroup(procRecord{PID: os.Getpid(), StartTicks: st.startTicks + 1}) {
		t.Error("killLeftoverGroup signalled a process whose start time differs")
	}
}
