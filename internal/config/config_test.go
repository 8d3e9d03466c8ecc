package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cutover.yaml")
	doc := `
signingSecret: s3cret
hooks:
  timeout: 90s
  commands:
    admission:
      command: [python3, hooks/admission.py]
      env: {ALLOWED: "registry.local/"}
      timeout: 5s
    abs:
      command: [/bin/true]
      dir: /tmp
events:
  webhooks:
    - name: audit
      url: http://127.0.0.1:9999/events
      detailTypes: [ECS Deployment State Change]
prometheus:
  url: http://127.0.0.1:9090/prom
`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		SigningSecret: "s3cret",
		Hooks: Hooks{
			Timeout: Duration(90 * time.Second),
			Commands: map[string]Command{
				"admission": {Command: []string{"python3", "hooks/admission.py"}, Dir: dir, Env: map[string]string{"ALLOWED": "registry.local/"}, Timeout: Duration(5 * time.Second)},
				"abs":       {Command: []string{"/bin/true"}, Dir: "/tmp"},
			},
		},
		Events:     Events{Webhooks: []Webhook{{Name: "audit", URL: "http://127.0.0.1:9999/events", DetailTypes: []string{"ECS Deployment State Change"}}}},
		Prometheus: Prometheus{URL: "http://127.0.0.1:9090/prom"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"unknown field":     "hooks:\n  comands: {}\n",
		"bad duration":      "hooks:\n  timeout: soon\n",
		"number duration":   "hooks:\n  timeout: 30\n",
		"negative duration": "hooks:\n  timeout: -1s\n",
		"empty command":     "hooks:\n  commands:\n    x: {command: []}\n",
		"no name":           "events:\n  webhooks:\n    - url: http://a/\n",
		"duplicate name":    "events:\n  webhooks:\n    - {name: a, url: 'http://a/'}\n    - {name: a, url: 'http://b/'}\n",
		"reserved name":     "events:\n  webhooks:\n    - {name: approvals-slack, url: 'http://a/'}\n",
		"bad url":           "events:\n  webhooks:\n    - {name: a, url: 'ftp://a/'}\n",
		"not yaml":          "hooks: [\n",
		"prometheus url":    "prometheus:\n  url: localhost:9090\n",
	}
	for name, doc := range cases {
		if _, err := Parse([]byte(doc), "/"); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "panic") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loads")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("hooks:\n  commands:\n    a: {command: [x]}\nevents:\n  webhooks:\n    - {name: a, url: 'http://a/'}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, "/base")
		if err != nil {
			return
		}
		for name, cmd := range c.Hooks.Commands {
			if len(cmd.Command) == 0 || !filepath.IsAbs(cmd.Dir) {
				t.Fatalf("command %s accepted: %+v", name, cmd)
			}
		}
	})
}
