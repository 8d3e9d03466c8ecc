package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestServerRefusesAnUnknownRuntime(t *testing.T) {
	// Every form of flag the standard flag package takes still works:
	// cobra hands server its arguments untouched.
	for _, args := range [][]string{
		{"server", "--runtime", "lambda", "--data-dir", t.TempDir()},
		{"server", "--runtime=lambda", "--data-dir=" + t.TempDir()},
		{"server", "-runtime", "lambda", "-data-dir", t.TempDir()},
	} {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), `--runtime must be process, docker or kubernetes, not "lambda"`) {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

func TestServerAndLBHelp(t *testing.T) {
	for _, name := range []string{"server", "lb"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{name, "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-log-level") {
			t.Errorf("%s --help: exit %d, stderr %q", name, code, stderr.String())
		}
		stdout.Reset()
		if code := run([]string{"help", name}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-log-level") {
			t.Errorf("help %s: exit %d, stdout %q", name, code, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"lb", "--bogus"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "cutover lb: flag provided but not defined: -bogus") {
		t.Errorf("lb --bogus: exit %d, stderr %q", code, stderr.String())
	}
}

func TestPauseIsHidden(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, name := range []string{"pause", "shim"} {
		if strings.Contains(stdout.String(), "  "+name+" ") {
			t.Errorf("usage lists the hidden command %s:\n%s", name, stdout.String())
		}
	}
	for _, name := range []string{"deploy", "status", "deployments", "approve", "reject", "rollback", "end-bake", "logs", "events", "completion", "server", "lb", "version"} {
		if !strings.Contains(stdout.String(), "  "+name+" ") {
			t.Errorf("usage does not list %s", name)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"bogus"}, 2, `cutover: unknown command "bogus"`},
		{[]string{"deployments", "bogus"}, 2, `cutover deployments: unknown command "bogus"`},
		{[]string{"deployments"}, 2, "Usage:"},
		{[]string{"status", "--bogus"}, 2, "cutover status: unknown flag: --bogus"},
		{[]string{"status", "-o", "yaml"}, 2, `--output must be text or json, not "yaml"`},
		{[]string{"deploy", "--service", "web"}, 2, "want TASKDEF.json, got 0 arguments"},
		{[]string{"deploy", "x.json"}, 2, "--service is required"},
		{[]string{"deployments", "list"}, 2, "--service is required"},
		{[]string{"approve", "a", "b"}, 2, "want at most one DEPLOYMENT"},
		{[]string{"approve"}, 2, "name a deployment"},
		{[]string{"approve", "0001"}, 2, "a deployment ID needs --service"},
		{[]string{"events", "--detail-type", "bogus"}, 2, `unknown --detail-type "bogus"`},
		{[]string{"events", "--after", "now"}, 2, "--after now needs -f"},
		{[]string{"logs"}, 2, "want one TASK"},
		{[]string{"completion", "tcsh"}, 2, `unknown shell "tcsh"`},
		{[]string{"status", "--endpoint-url", "127.0.0.1:1"}, 2, "is not an http:// or https:// URL"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, &stdout, &stderr); code != 0 || stdout.String() != "cutover dev\n" {
		t.Errorf("version: exit %d, %q", code, stdout.String())
	}
	for shell, want := range map[string]string{"bash": "__cutover_get_completion_results", "zsh": "#compdef cutover", "fish": "complete -c cutover"} {
		stdout.Reset()
		if code := run([]string{"completion", shell}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), want) {
			t.Errorf("completion %s: exit %d, no %q in the script", shell, code, want)
		}
	}
}
