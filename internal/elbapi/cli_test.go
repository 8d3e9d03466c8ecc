package elbapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI runs the real aws CLI against an httptest server that routes by
// Handles, as the server does, to the API.
type awsCLI struct {
	t   *testing.T
	bin string
	url string
	env []string
}

func newAWSCLI(t *testing.T, api http.Handler) *awsCLI {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the aws CLI")
	}
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Handles(r) {
			http.Error(w, "not an ELBv2 request", http.StatusNotFound)
			return
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
	)
	return &awsCLI{t: t, bin: bin, url: srv.URL, env: env}
}

// run runs `aws elbv2 args...` and returns its JSON output, failing the
// test when the command fails.
func (c *awsCLI) run(args ...string) map[string]any {
	c.t.Helper()
	out, stderr, err := c.exec(args...)
	if err != nil {
		c.t.Fatalf("aws elbv2 %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	v := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &v); err != nil {
			c.t.Fatalf("aws elbv2 %s: output is not JSON: %v\n%s", args[0], err, out)
		}
	}
	return v
}

// fails runs `aws elbv2 args...`, which must fail with the error code.
func (c *awsCLI) fails(code string, args ...string) {
	c.t.Helper()
	_, stderr, err := c.exec(args...)
	if err == nil {
		c.t.Fatalf("aws elbv2 %s succeeded, want error %s", args[0], code)
	}
	if !strings.Contains(string(stderr), "("+code+")") {
		c.t.Fatalf("aws elbv2 %s: want error %s, got:\n%s", args[0], code, stderr)
	}
}

func (c *awsCLI) exec(args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(c.bin, append([]string{"--endpoint-url", c.url, "--output", "json", "elbv2"}, args...)...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

// at walks a decoded JSON value: string keys index objects, ints arrays.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %v is not an object", path, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: %v is not an array with element %d", path, v, k)
			}
			v = a[k]
		}
	}
	return v
}

// str is at for strings.
func str(t *testing.T, v any, path ...any) string {
	t.Helper()
	s, ok := at(t, v, path...).(string)
	if !ok {
		t.Fatalf("at %v: not a string", path)
	}
	return s
}

// TestAWSCLI drives the API with the real aws CLI: a load balancer, two
// target groups, targets, a listener forwarding to both groups by weight,
// a path-pattern rule, the describe calls (with pagination) and the errors a user meets first.
func TestAWSCLI(t *testing.T) {
	api := newTestAPI(t, Config{})
	aws := newAWSCLI(t, api)

	lbOut := aws.run("create-load-balancer", "--name", "web", "--subnets", "subnet-1", "subnet-2",
		"--tags", "Key=env,Value=dev")
	lbARN := str(t, lbOut, "LoadBalancers", 0, "LoadBalancerArn")
	if got := str(t, lbOut, "LoadBalancers", 0, "DNSName"); got != "127.0.0.1" {
		t.Errorf("DNSName = %q", got)
	}
	if got := str(t, lbOut, "LoadBalancers", 0, "CreatedTime"); !strings.HasPrefix(got, "2026-11-24T12:00:00") {
		t.Errorf("CreatedTime = %q", got)
	}
	blue := str(t, aws.run("create-target-group", "--name", "blue", "--protocol", "HTTP", "--port", "8080",
		"--target-type", "ip", "--vpc-id", "vpc-1"), "TargetGroups", 0, "TargetGroupArn")
	green := str(t, aws.run("create-target-group", "--name", "green", "--protocol", "HTTP", "--port", "8081",
		"--target-type", "instance", "--health-check-path", "/healthz", "--matcher", "HttpCode=200-299"), "TargetGroups", 0, "TargetGroupArn")
	aws.run("register-targets", "--target-group-arn", blue, "--targets", "Id=127.0.0.1,Port=9001", "Id=127.0.0.1,Port=9002")
	aws.run("register-targets", "--target-group-arn", green, "--targets", "Id=localhost")

	actions := `[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"` + blue +
		`","Weight":90},{"TargetGroupArn":"` + green + `","Weight":10}]}}]`
	listenerARN := str(t, aws.run("create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", "8000",
		"--default-actions", actions), "Listeners", 0, "ListenerArn")
	rule := aws.run("create-rule", "--listener-arn", listenerARN, "--priority", "10",
		"--conditions", "Field=path-pattern,Values=/api/*", "--actions", "Type=forward,TargetGroupArn="+green)
	if got := str(t, rule, "Rules", 0, "Conditions", 0, "PathPatternConfig", "Values", 0); got != "/api/*" {
		t.Errorf("rule path pattern = %q", got)
	}

	lbs := aws.run("describe-load-balancers", "--names", "web")
	if got := str(t, lbs, "LoadBalancers", 0, "State", "Code"); got != "active" {
		t.Errorf("state = %q", got)
	}
	// --page-size is the API's PageSize here, so the CLI pages by hand.
	first := aws.run("describe-target-groups", "--page-size", "1")
	second := aws.run("describe-target-groups", "--page-size", "1", "--marker", str(t, first, "NextMarker"))
	if got := str(t, second, "TargetGroups", 0, "TargetGroupName"); got != "green" || at(t, second, "NextMarker") != nil {
		t.Errorf("second page: %v", second)
	}
	groups := aws.run("describe-target-groups")
	if n := len(at(t, groups, "TargetGroups").([]any)); n != 2 {
		t.Fatalf("describe-target-groups gave %d groups, want 2", n)
	}
	if got := str(t, groups, "TargetGroups", 0, "LoadBalancerArns", 0); got != lbARN {
		t.Errorf("LoadBalancerArns[0] = %q", got)
	}
	if got := at(t, groups, "TargetGroups", 1, "HealthCheckIntervalSeconds"); got != 30.0 {
		t.Errorf("default health check interval = %v", got)
	}
	health := aws.run("describe-target-health", "--target-group-arn", blue)
	if n := len(at(t, health, "TargetHealthDescriptions").([]any)); n != 2 {
		t.Fatalf("got %d targets, want 2", n)
	}
	if got := str(t, health, "TargetHealthDescriptions", 1, "TargetHealth", "State"); got != "initial" {
		t.Errorf("target state = %q, want initial", got)
	}
	listeners := aws.run("describe-listeners", "--load-balancer-arn", lbARN)
	if got := at(t, listeners, "Listeners", 0, "DefaultActions", 0, "ForwardConfig", "TargetGroups", 1, "Weight"); got != 10.0 {
		t.Errorf("green weight = %v", got)
	}
	rules := aws.run("describe-rules", "--listener-arn", listenerARN)
	if got := at(t, rules, "Rules", 1, "IsDefault"); got != true {
		t.Errorf("second rule IsDefault = %v, want the default rule last", got)
	}
	if got := at(t, rules, "Rules", 1, "Conditions"); got == nil || len(got.([]any)) != 0 {
		t.Errorf("default rule conditions = %v, want []", got)
	}
	attrs := aws.run("modify-target-group-attributes", "--target-group-arn", blue,
		"--attributes", "Key=deregistration_delay.timeout_seconds,Value=5")
	if got := str(t, attrs, "Attributes", 0, "Value"); got != "5" {
		t.Errorf("deregistration delay = %q", got)
	}
	tags := aws.run("describe-tags", "--resource-arns", lbARN)
	if got := str(t, tags, "TagDescriptions", 0, "Tags", 0, "Value"); got != "dev" {
		t.Errorf("tag value = %q", got)
	}

	aws.fails("TargetGroupNotFound", "describe-target-groups", "--target-group-arns",
		"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef")
	aws.fails("PriorityInUse", "create-rule", "--listener-arn", listenerARN, "--priority", "10",
		"--conditions", "Field=host-header,Values=example.com", "--actions", "Type=forward,TargetGroupArn="+blue)
	aws.fails("DuplicateListener", "create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", "8000",
		"--default-actions", "Type=forward,TargetGroupArn="+blue)
	aws.fails("ValidationError", "create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", "8001",
		"--default-actions", `[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":"`+blue+`","Weight":1000}]}}]`)
	aws.fails("ResourceInUse", "delete-target-group", "--target-group-arn", green)

	aws.run("delete-load-balancer", "--load-balancer-arn", lbARN)
	aws.run("delete-target-group", "--target-group-arn", green)
	if got := aws.run("describe-load-balancers"); len(at(t, got, "LoadBalancers").([]any)) != 0 {
		t.Errorf("load balancers after delete: %v", got)
	}
}
