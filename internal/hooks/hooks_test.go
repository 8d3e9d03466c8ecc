package hooks

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseFunction(t *testing.T) {
	tests := []struct {
		target  string
		want    function
		wantErr string
	}{
		{target: "my-hook", want: function{name: "my-hook"}},
		{target: "my_hook:live", want: function{name: "my_hook", qualifier: "live"}},
		{target: "my-hook:$LATEST", want: function{name: "my-hook", qualifier: "$LATEST"}},
		{target: "arn:aws:lambda:eu-west-1:123456789012:function:my-hook",
			want: function{name: "my-hook", region: "eu-west-1"}},
		{target: "arn:aws:lambda:eu-west-1:123456789012:function:my-hook:7",
			want: function{name: "my-hook", qualifier: "7", region: "eu-west-1"}},
		{target: "arn:aws-cn:lambda:cn-north-1:123456789012:function:h",
			want: function{name: "h", region: "cn-north-1"}},
		{target: "123456789012:function:my-hook:live", want: function{name: "my-hook", qualifier: "live"}},
		{target: "", wantErr: "function name"},
		{target: "my hook", wantErr: "function name"},
		{target: "my-hook:", wantErr: "qualifier"},
		{target: "my-hook:a/b", wantErr: "qualifier"},
		{target: strings.Repeat("x", 65), wantErr: "function name"},
		{target: "a:b:c", wantErr: "not a URL or a Lambda function name or ARN"},
		{target: "arn:aws:s3:::bucket", wantErr: "not a Lambda function ARN"},
		{target: "arn:aws:lambda:eu-west-1:123456789012:layer:l:1", wantErr: "not a Lambda function ARN"},
		{target: "arn:aws:lambda::123456789012:function:my-hook", wantErr: "not a Lambda function ARN"},
		{target: "arn:aws:lambda:eu-west-1:123456789012:function:my-hook:1:2", wantErr: "not a Lambda function ARN"},
		{target: "123456789012:function:a:b:c", wantErr: "not a Lambda function reference"},
		{target: "ftp://example.com/hook", wantErr: "must be http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got, err := parseFunction(tt.target)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFunction(%q) = %+v, %v; want error containing %q", tt.target, got, err, tt.wantErr)
				}
				return
			}
			tt.want.ref = tt.target
			if err != nil || got != tt.want {
				t.Fatalf("parseFunction(%q) = %+v, %v; want %+v", tt.target, got, err, tt.want)
			}
		})
	}
}

func TestIsURL(t *testing.T) {
	for target, want := range map[string]bool{
		"http://127.0.0.1:8080/hook": true,
		"HTTPS://hooks.example.com":  true,
		"my-hook":                    false,
		"httpfunction":               false,
	} {
		if got := isURL(target); got != want {
			t.Errorf("isURL(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"empty config", Config{}, ""},
		{"full config", Config{
			Region: "eu-west-1", LambdaEndpoint: "http://127.0.0.1:3001", Timeout: time.Second,
			Commands: map[string]Command{"h": {Argv: []string{"true"}, Timeout: time.Second}},
		}, ""},
		{"negative timeout", Config{Timeout: -time.Second}, "negative timeout"},
		{"endpoint without scheme", Config{LambdaEndpoint: "127.0.0.1:3001"}, "not an http or https URL"},
		{"endpoint with other scheme", Config{LambdaEndpoint: "ftp://127.0.0.1:3001"}, "not an http or https URL"},
		{"endpoint without host", Config{LambdaEndpoint: "http://"}, "not an http or https URL"},
		{"endpoint unparsable", Config{LambdaEndpoint: "http://[::1"}, "not an http or https URL"},
		{"empty argv", Config{Commands: map[string]Command{"h": {}}}, `command "h": empty argv`},
		{"empty program", Config{Commands: map[string]Command{"h": {Argv: []string{""}}}}, "empty argv"},
		{"bad command name", Config{Commands: map[string]Command{"a:b": {Argv: []string{"true"}}}}, "function name"},
		{"negative command timeout", Config{Commands: map[string]Command{
			"h": {Argv: []string{"true"}, Timeout: -1}}}, "negative timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || inv == nil {
					t.Fatalf("New = %v, %v", inv, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v; want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	inv, err := New(Config{Commands: map[string]Command{
		"a": {Argv: []string{"true"}},
		"b": {Argv: []string{"true"}, Timeout: time.Second},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if inv.timeout != DefaultTimeout || inv.commands["a"].Timeout != DefaultTimeout || inv.commands["b"].Timeout != time.Second {
		t.Fatalf("timeouts %s, %s, %s", inv.timeout, inv.commands["a"].Timeout, inv.commands["b"].Timeout)
	}
}

func TestInvokeInvalidTarget(t *testing.T) {
	inv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = inv.Invoke(context.Background(), "arn:aws:sqs:eu-west-1:123456789012:queue", []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "invalid hook target") {
		t.Fatalf("Invoke = %v", err)
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		tail bool
		want string
	}{
		{"  short\n text ", 20, false, "short text"},
		{"abcdefgh", 4, false, "abcd…"},
		{"abcdefgh", 4, true, "…efgh"},
		{"ééééé", 3, false, "é…"},
		{"ééééé", 3, true, "…é"},
		{"", 4, false, ""},
	}
	for _, tt := range tests {
		if got := snippet([]byte(tt.in), tt.n, tt.tail); got != tt.want {
			t.Errorf("snippet(%q, %d, %v) = %q, want %q", tt.in, tt.n, tt.tail, got, tt.want)
		}
	}
}
