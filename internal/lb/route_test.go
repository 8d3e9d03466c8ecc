package lb

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// routeConfig has one listener whose rules answer with their name, so
// that a test sees which rule matched.
func routeConfig() Config {
	rule := func(arn string, prio int, body string, conds ...Condition) Rule {
		return Rule{ARN: arn, Priority: prio, Conditions: conds, Actions: []Action{fixed(200, body)}}
	}
	return Config{
		Version: 1,
		Listeners: []Listener{{
			ARN: "l1", Address: "127.0.0.1:0", Protocol: "HTTP",
			DefaultActions: []Action{fixed(404, "default")},
			Rules: []Rule{
				rule("r-api", 10, "api", Condition{Field: FieldPathPattern, Values: []string{"/api/*"}}),
				rule("r-special", 1, "special", Condition{Field: FieldPathPattern, Values: []string{"/api/special"}}),
				rule("r-admin", 5, "admin",
					Condition{Field: FieldHostHeader, Values: []string{"*.example.com", "admin.test"}},
					Condition{Field: FieldPathPattern, Values: []string{"/admin", "/admin/*"}}),
				rule("r-header", 20, "header", Condition{Field: FieldHTTPHeader, HeaderName: "x-env", Values: []string{"canary", "beta*"}}),
				rule("r-query", 30, "query", Condition{Field: FieldQueryString, QueryStrings: []KeyValue{
					{Key: "version", Value: "v2*"}, {Value: "debug"}}}),
				rule("r-method", 40, "method", Condition{Field: FieldHTTPRequestMethod, Values: []string{"POST", "PATCH"}}),
				rule("r-glob", 50, "glob", Condition{Field: FieldPathPattern, Values: []string{"/img/??.png"}}),
			},
		}},
	}
}

// rawHead writes r's head as a client sends it, with header names in
// lower case (as HTTP/2 clients and some HTTP/1 ones send them).
func rawHead(r *http.Request) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s HTTP/1.1\r\nHost: %s\r\n", r.Method, r.URL.RequestURI(), r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&sb, "%s: %s\r\n", strings.ToLower(k), v)
		}
	}
	return sb.String() + "\r\n"
}

func TestRouteRules(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	cfg := routeConfig()
	if err := validate(cfg); err != nil {
		t.Fatal(err)
	}
	s, _, err := b.build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := s.listeners["127.0.0.1:0"]
	tests := []struct {
		name   string
		method string
		url    string
		host   string
		header http.Header
		want   string
	}{
		{name: "default", url: "/", want: "default"},
		{name: "path prefix", url: "/api/users", want: "api"},
		{name: "path is case-sensitive", url: "/API/users", want: "default"},
		{name: "path ignores query", url: "/api/x?path=/admin", want: "api"},
		{name: "priority order", url: "/api/special", want: "special"},
		{name: "host and path", url: "/admin/x", host: "WWW.Example.com", want: "admin"},
		{name: "host with port", url: "/admin", host: "www.example.com:8080", want: "admin"},
		{name: "second host value", url: "/admin", host: "admin.test", want: "admin"},
		{name: "host alone is not enough", url: "/other", host: "www.example.com", want: "default"},
		{name: "path alone is not enough", url: "/admin", host: "example.org", want: "default"},
		{name: "header exact", url: "/", header: http.Header{"X-Env": {"canary"}}, want: "header"},
		{name: "header value case-insensitive", url: "/", header: http.Header{"X-Env": {"BETA-2"}}, want: "header"},
		{name: "header second value", url: "/", header: http.Header{"X-Env": {"prod", "beta"}}, want: "header"},
		{name: "header no match", url: "/", header: http.Header{"X-Env": {"prod"}}, want: "default"},
		{name: "other header", url: "/", header: http.Header{"X-Other": {"canary"}}, want: "default"},
		{name: "query key and value", url: "/?a=1&version=v2.1", want: "query"},
		{name: "query case-insensitive", url: "/?VERSION=V2", want: "query"},
		{name: "query any key", url: "/?flag=debug", want: "query"},
		{name: "query decoded", url: "/?version=v2%20beta", want: "query"},
		{name: "query no match", url: "/?version=v1", want: "default"},
		{name: "query key without value", url: "/?debug", want: "default"},
		{name: "method", method: "POST", url: "/", want: "method"},
		{name: "method exact", method: "GET", url: "/", want: "default"},
		{name: "glob", url: "/img/ab.png", want: "glob"},
		{name: "glob length", url: "/img/abc.png", want: "default"},
		{name: "path decoded", url: "/api/%75sers", want: "api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			r := httptest.NewRequest(method, tt.url, nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			for k, v := range tt.header {
				r.Header[k] = v
			}
			// net/http's request and the fast path's route alike.
			var fast request
			if !fast.parse([]byte(rawHead(r))) {
				t.Fatalf("the fast path does not take %q", rawHead(r))
			}
			for _, a := range []*action{l.route(r), l.routeBy(&fast)} {
				if a.fixed == nil {
					t.Fatal("matched a forward action")
				}
				if got := string(a.fixed.body); got != tt.want {
					t.Errorf("matched %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	good := func() Config {
		return oneListener(1, forwardTo("a"), group("a", Target{Host: "127.0.0.1", Port: 1}))
	}
	tests := map[string]func(*Config){
		"unknown group":     func(c *Config) { c.Listeners[0].DefaultActions = []Action{forwardTo("nope")} },
		"weight above 999":  func(c *Config) { c.Listeners[0].DefaultActions[0].TargetGroups[0].Weight = 1000 },
		"negative weight":   func(c *Config) { c.Listeners[0].DefaultActions[0].TargetGroups[0].Weight = -1 },
		"no default action": func(c *Config) { c.Listeners[0].DefaultActions = nil },
		"unknown action":    func(c *Config) { c.Listeners[0].DefaultActions = []Action{{Type: "redirect"}} },
		"bad address":       func(c *Config) { c.Listeners[0].Address = "localhost" },
		"duplicate address": func(c *Config) { c.Listeners = append(c.Listeners, c.Listeners[0]); c.Listeners[1].ARN = "l2" },
		"duplicate group":   func(c *Config) { c.TargetGroups = append(c.TargetGroups, c.TargetGroups[0]) },
		"bad target port":   func(c *Config) { c.TargetGroups[0].Targets[0].Port = 0 },
		"duplicate target": func(c *Config) {
			c.TargetGroups[0].Targets = append(c.TargetGroups[0].Targets, c.TargetGroups[0].Targets[0])
		},
		"bad matcher":          func(c *Config) { c.TargetGroups[0].HealthCheck.Matcher = "200-abc" },
		"bad health path":      func(c *Config) { c.TargetGroups[0].HealthCheck.Path = "health" },
		"threshold above 10":   func(c *Config) { c.TargetGroups[0].HealthCheck.HealthyThreshold = 11 },
		"bad protocol version": func(c *Config) { c.TargetGroups[0].ProtocolVersion = "GRPC" },
		"fixed status 100":     func(c *Config) { c.Listeners[0].DefaultActions = []Action{fixed(100, "")} },
		"rule without condition": func(c *Config) {
			c.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 1, Actions: []Action{fixed(200, "")}}}
		},
		"rule priority 0": func(c *Config) {
			c.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 0, Actions: []Action{fixed(200, "")},
				Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/"}}}}}
		},
		"duplicate priority": func(c *Config) {
			r := Rule{ARN: "r", Priority: 3, Actions: []Action{fixed(200, "")},
				Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/"}}}}
			c.Listeners[0].Rules = []Rule{r, r}
		},
		"bad method": func(c *Config) {
			c.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 1, Actions: []Action{fixed(200, "")},
				Conditions: []Condition{{Field: FieldHTTPRequestMethod, Values: []string{"get"}}}}}
		},
		"header without name": func(c *Config) {
			c.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 1, Actions: []Action{fixed(200, "")},
				Conditions: []Condition{{Field: FieldHTTPHeader, Values: []string{"x"}}}}}
		},
		"unknown field": func(c *Config) {
			c.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 1, Actions: []Action{fixed(200, "")},
				Conditions: []Condition{{Field: "source-ip", Values: []string{"10.0.0.0/8"}}}}}
		},
	}
	if err := validate(good()); err != nil {
		t.Fatalf("the base config is refused: %v", err)
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := good()
			mutate(&cfg)
			if err := validate(cfg); err == nil {
				t.Fatal("accepted")
			} else if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
}
