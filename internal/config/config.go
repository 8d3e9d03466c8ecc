// Package config reads the server's configuration file: where local
// command hooks live, how hook requests are signed, and which webhooks
// receive the event stream. The file is YAML (or JSON); unknown fields
// are refused so that typos do not pass silently.
//
//	signingSecret: change-me        # HMAC key of URL hooks and webhooks
//	hooks:
//	  timeout: 2m                   # one invocation at most
//	  commands:
//	    admission:                  # a Lambda function name
//	      command: [python3, hooks/admission.py]
//	      dir: .                    # relative to this file
//	      env: {ALLOWED_REGISTRIES: "registry.example.com/"}
//	      timeout: 30s
//	events:
//	  webhooks:
//	    - name: audit
//	      url: https://audit.example.com/ecs-events
//	      detailTypes: [ECS Deployment State Change]
//	prometheus:
//	  url: http://127.0.0.1:9090     # answers alarms on promql: expressions
//	approvals:                       # see Approvals
//	  slack: {botToken: xoxb-..., signingSecret: ..., channel: C0123, approvers: [U0123]}
//	tls:                             # see TLS
//	  api: {certFile: tls/api.crt, keyFile: tls/api.key}
//	  certificates:
//	    - {arn: "arn:aws:acm:us-east-1:123456789012:certificate/www", certFile: tls/www.crt, keyFile: tls/www.key}
package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// ReservedSinkPrefix starts the names of the event log consumers the
// approval notifications use; webhooks may not take such a name.
const ReservedSinkPrefix = "approvals-"

// Config is the server's configuration file.
type Config struct {
	// SigningSecret signs requests to URL hooks and webhooks; when empty
	// the server keeps a generated one in its data directory.
	SigningSecret string `json:"signingSecret,omitempty"`
	Hooks         Hooks  `json:"hooks"`
	Events        Events `json:"events"`
	// Prometheus, when its URL is set, is the Prometheus server that
	// CloudWatch alarms and GetMetricData queries whose expression is
	// "promql:<query>" read.
	Prometheus Prometheus `json:"prometheus"`
	// Approvals asks people to approve deployments waiting at PAUSE
	// hooks, in Slack or through signed links (see Approvals).
	Approvals Approvals `json:"approvals"`
	// TLS names the certificates of the HTTPS API endpoint and of HTTPS
	// load balancer listeners (see TLS).
	TLS TLS `json:"tls"`
}

// Prometheus names a Prometheus server (its HTTP API).
type Prometheus struct {
	// URL is the server's base URL, such as http://127.0.0.1:9090 (a path
	// prefix is kept: http://host/prometheus).
	URL string `json:"url,omitempty"`
}

// Hooks configures lifecycle hook invocation.
type Hooks struct {
	// Timeout bounds one invocation (zero: the invoker's default).
	Timeout Duration `json:"timeout,omitempty"`
	// Commands are local command hooks by Lambda function name: a hook
	// whose hookTargetArn names that function runs the command instead.
	Commands map[string]Command `json:"commands,omitempty"`
}

// Command is a local command hook: it reads the event on stdin and
// writes the reply on stdout.
type Command struct {
	Command []string          `json:"command"`
	Dir     string            `json:"dir,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	Timeout Duration          `json:"timeout,omitempty"`
}

// Events configures event delivery.
type Events struct {
	Webhooks []Webhook `json:"webhooks,omitempty"`
}

// Webhook receives every event (or those of the listed detail-types).
type Webhook struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Secret      string   `json:"secret,omitempty"`
	DetailTypes []string `json:"detailTypes,omitempty"`
}

// Duration is a time.Duration written like "30s" or "2m".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"30s\" or \"2m\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Load reads and validates the file at path. Relative command
// directories and certificate files are resolved from the file's
// directory.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b, abs)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse reads and validates a configuration whose relative command
// directories and certificate files are relative to dir.
func Parse(b []byte, dir string) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, err
	}
	for name, cmd := range c.Hooks.Commands {
		if name == "" || len(cmd.Command) == 0 || cmd.Command[0] == "" {
			return nil, fmt.Errorf("hooks.commands.%s: command must name a program", name)
		}
		if !filepath.IsAbs(cmd.Dir) {
			cmd.Dir = filepath.Join(dir, cmd.Dir)
		}
		c.Hooks.Commands[name] = cmd
	}
	names := map[string]bool{}
	for i, w := range c.Events.Webhooks {
		if w.Name == "" || names[w.Name] {
			return nil, fmt.Errorf("events.webhooks[%d]: each webhook needs a unique name", i)
		}
		names[w.Name] = true
		if strings.HasPrefix(w.Name, ReservedSinkPrefix) {
			return nil, fmt.Errorf("events.webhooks[%d]: the name %q starts with %q, which the approval notifications use", i, w.Name, ReservedSinkPrefix)
		}
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("events.webhooks[%d]: url %q is not an http(s) URL", i, w.URL)
		}
	}
	if err := c.Approvals.validate(); err != nil {
		return nil, err
	}
	if err := c.TLS.validate(dir); err != nil {
		return nil, err
	}
	if p := c.Prometheus.URL; p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("prometheus.url %q is not an http(s) URL", p)
		}
	}
	return &c, nil
}
