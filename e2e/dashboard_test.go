package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/chromedp/chromedp"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// The dashboard's browser tests run the real server and drive its pages
// in a real headless Chromium (chromedp). Without Chromium they are
// skipped, except under CI, where they fail. Each test saves full-page
// screenshots to $CUTOVER_ARTIFACTS, or to e2e/artifacts.

// chromiumPath returns the path of a Chromium, or ends the test: skipped
// locally, failed when CI is set.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found; install Debian's chromium to run the dashboard's browser tests"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: these tests must run)")
	}
	t.Skip(msg)
	return ""
}

// artifactsDir is where screenshots go.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CUTOVER_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserPage is one tab of a headless Chromium, with what its console
// said.
type browserPage struct {
	t     *testing.T
	ctx   context.Context
	base  string
	start time.Time

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// openBrowser starts a headless Chromium for the server s; it is
// stopped, and its profile removed, when the test ends.
func openBrowser(t *testing.T, s *server) *browserPage {
	t.Helper()
	exe := chromiumPath(t)
	profile, err := os.MkdirTemp("", "cutover-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		start := time.Now()
		defer func() { t.Logf("browser stopped in %v", time.Since(start).Round(100*time.Millisecond)) }()
		cancelTab()
		cancelAlloc()
		// Chromium's helpers may still write to the profile for a moment.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	p := &browserPage{t: t, ctx: ctx, base: s.url() + "/ui/", start: time.Now()}
	// The first action starts the browser, on the tab's own context: a
	// shorter-lived context would take the browser down with it.
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	p.logf("Chromium started")
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	t.Cleanup(p.checkConsole)
	return p
}

// checkConsole fails the test on a script error or a violation of the
// page's Content-Security-Policy, and logs the rest of the console.
func (p *browserPage) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
			p.t.Errorf("browser console: %s (%s:%d)", m, m.URL, m.Line)
		} else if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
			p.t.Logf("browser console: %s", m)
		}
	}
}

// do runs browser actions, failing the test (with a screenshot) when they
// do not complete within timeout.
func (p *browserPage) do(what string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.screenshot("failed")
		p.t.Fatalf("%s: %v", what, err)
	}
}

// text returns the text of the first element sel matches, or "" when
// there is none; it does not wait.
func (p *browserPage) text(sel string) string {
	p.t.Helper()
	expr := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// waitText waits until the text of sel contains want.
func (p *browserPage) waitText(sel, want string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := p.text(sel)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			p.screenshot("failed")
			p.t.Fatalf("after %v the page's %s says %q, want %q", timeout, sel, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenshot saves a full-page PNG named after the test and step.
func (p *browserPage) screenshot(step string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", step, err)
		return
	}
	name := filepath.Join(artifactsDir(p.t), fmt.Sprintf("%s-%s.png", p.t.Name(), step))
	if err := os.WriteFile(name, png, 0o644); err != nil {
		p.t.Errorf("save screenshot: %v", err)
		return
	}
	p.logf("screenshot %s", name)
}

// logf logs what happened, with the time since the browser started.
func (p *browserPage) logf(format string, args ...any) {
	p.t.Helper()
	p.t.Logf("%v: %s", time.Since(p.start).Round(100*time.Millisecond), fmt.Sprintf(format, args...))
}

// deploymentURL is the dashboard's page of a deployment.
func (p *browserPage) deploymentURL(arn string) string {
	return p.base + "#/deployments/" + url.PathEscape(arn)
}

// Selectors of the deployment page.
const (
	selStatus       = "#deployment-status"
	selStage        = "#deployment-stage"
	selActions      = `section[aria-labelledby="actions-h"]`
	selHooks        = `section[aria-labelledby="hooks-h"]`
	selAudit        = `section[aria-labelledby="audit-h"]`
	selEvents       = `section[aria-labelledby="events-h"]`
	selChart        = `section[aria-labelledby="chart-h"]`
	selAlerts       = "#alerts"
	selApprove      = `button[data-action="approve"]`
	selEndBake      = `button[data-action="end-bake"]`
	selShiftNow     = `button[data-action="shift-now"]`
	selRollback     = `button[data-action="rollback"]`
	selConfirm      = `button[data-action="rollback-confirm"]`
	selHookRollback = `button[data-action="hook-rollback"]`
)

// TestDashboardBlueGreen drives a BLUE_GREEN deployment from the
// dashboard: the page, opened while the deployment scales up, shows the
// pause after the test traffic shift as it comes; Approve (pressed with
// the keyboard) moves production traffic and the deployment bakes; End
// bake time now (clicked) finishes it; the audit trail names the
// dashboard's local user.
func TestDashboardBlueGreen(t *testing.T) {
	s := startServer(t)
	p := openBrowser(t, s)
	api := apiClient(t, s, "", "")
	status := func() ecs.ServiceDeploymentStatus {
		if d := current(t, api); d != nil {
			return d.Status
		}
		return ""
	}
	v1, v2 := taskDef(t, "v1", ""), taskDef(t, "v2", "")
	lbs, prod := blueGreenLoadBalancer(t, s, freePort(t), freePort(t))
	p.logf("load balancer ready")
	err := all(
		func() error { _, err := s.aws("ecs", "create-cluster", "--cluster-name", "demo"); return err },
		func() error {
			if _, err := s.aws("ecs", "register-task-definition", "--cli-input-json", v1); err != nil {
				return err
			}
			_, err := s.aws("ecs", "register-task-definition", "--cli-input-json", v2)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "1", "--load-balancers", lbs, "--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`,
		"--health-check-grace-period-seconds", "60")
	eventually(t, 60*time.Second, "v1 deployed", func() bool { return status() == ecs.ServiceDeploymentStatusSuccessful })
	p.logf("v1 deployed")

	traffic := startLoad(prod, 1)
	defer traffic.finish()
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:2",
		"--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":30,"lifecycleHooks":[
			{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"]},
			{"targetType":"PAUSE","lifecycleStages":["PRE_PRODUCTION_TRAFFIC_SHIFT"],
			 "timeoutConfiguration":{"timeoutInMinutes":5,"action":"CONTINUE"}}]}`)
	var arn string
	eventually(t, 10*time.Second, "the v2 deployment", func() bool {
		d := current(t, api)
		if d == nil || d.Status != ecs.ServiceDeploymentStatusInProgress {
			return false
		}
		arn = d.ServiceDeploymentArn
		return true
	})

	p.logf("v2 deploying")
	// The page is opened before the pause: it must show it live.
	p.do("open the deployment page", 15*time.Second, chromedp.Navigate(p.deploymentURL(arn)), chromedp.WaitVisible(chromedp.CSS(selStatus)))
	p.waitText(selStatus, "IN_PROGRESS", 5*time.Second)
	p.do("wait for the Approve button", 60*time.Second, chromedp.WaitVisible(chromedp.CSS(selApprove)))
	p.waitText(selActions, "Waiting for approval at POST_TEST_TRAFFIC_SHIFT", time.Second)
	p.waitText(selStage, "POST_TEST_TRAFFIC_SHIFT", time.Second)
	p.waitText(selHooks, "AWAITING_ACTION", time.Second)
	p.screenshot("1-awaiting-approval")

	// Approve with the keyboard: focus the button, press Enter. Then
	// production waits for the pause before it moves, which ends in five
	// minutes with CONTINUE, or at once with Shift production now.
	p.do("approve with the keyboard", 10*time.Second,
		chromedp.Focus(chromedp.CSS(selApprove)), chromedp.KeyEvent("\r"))
	p.do("wait for the Shift production now button", 30*time.Second, chromedp.WaitVisible(chromedp.CSS(selShiftNow)))
	p.waitText(selStage, "PRE_PRODUCTION_TRAFFIC_SHIFT", time.Second)
	if got := p.text(selActions); !strings.Contains(got, "Production traffic moves in 4m") && !strings.Contains(got, "Production traffic moves in 5m") {
		t.Errorf("actions while production waits: %q, want a countdown of about 5 minutes", got)
	}
	p.screenshot("2-production-waits")
	p.do("shift production now", 10*time.Second, chromedp.Click(chromedp.CSS(selShiftNow)))
	p.waitText(selStage, "BAKE_TIME", 60*time.Second)
	if stage := current(t, api).LifecycleStage; stage != ecs.ServiceDeploymentLifecycleStageBakeTime {
		t.Fatalf("the page says BAKE_TIME, the API %v", stage)
	}
	p.waitText(selActions, "Bake time ends in", 5*time.Second)
	if got := p.text(selActions); !strings.Contains(got, "29m") && !strings.Contains(got, "30m") {
		t.Errorf("bake countdown: %q, want about 30 minutes", got)
	}
	// The chart has the production traffic of the target groups.
	p.do("the chart", 5*time.Second, chromedp.WaitVisible(chromedp.CSS(selChart+" svg.chart")))
	eventually(t, 30*time.Second, "requests on the chart", func() bool {
		return chartRequests(p) > 0
	})
	p.screenshot("3-baking")

	// End the bake time with the mouse.
	p.do("end the bake time", 10*time.Second, chromedp.Click(chromedp.CSS(selEndBake)))
	p.waitText(selStatus, "SUCCESSFUL", 60*time.Second)
	if st := status(); st != ecs.ServiceDeploymentStatusSuccessful {
		t.Fatalf("the page says SUCCESSFUL, the API %v", st)
	}
	p.waitText(selHooks, "PRE_PRODUCTION_TRAFFIC_SHIFT", time.Second)
	for _, want := range []string{"local (dashboard)", "ContinueServiceDeployment", "EndServiceDeploymentBakeTime"} {
		p.waitText(selAudit, want, 10*time.Second)
	}
	p.waitText(selEvents, "SERVICE_DEPLOYMENT_COMPLETED", 10*time.Second)
	if alerts := p.text(selAlerts); alerts != "" {
		t.Errorf("the page shows errors: %q", alerts)
	}
	p.screenshot("4-successful")

	// Links and history: the service page lists the deployment, and Back
	// returns to the deployment page.
	p.do("open the service page", 10*time.Second,
		chromedp.Click(chromedp.CSS(`nav a[href="#/clusters/demo/services/web"]`)),
		chromedp.WaitVisible(chromedp.CSS(`section[aria-labelledby="deployments-h"] table`)))
	p.waitText(`section[aria-labelledby="deployments-h"]`, "SUCCESSFUL", 5*time.Second)
	p.waitText(`section[aria-labelledby="audit-h"]`, "local (dashboard)", 5*time.Second)
	p.screenshot("5-service")
	p.do("go back", 10*time.Second, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(selStatus)))
	p.waitText(selStatus, "SUCCESSFUL", 5*time.Second)
}

// apiClient returns a client of the server's API, signing with the key
// id when one is given.
func apiClient(t *testing.T, s *server, id, secret string) *client.Client {
	t.Helper()
	o := client.Options{Endpoint: s.url()}
	if id != "" {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		})
	}
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// current returns the current deployment of service web of cluster
// demo, as the API describes it (nil before there is one): polled
// through the API client, which answers in milliseconds where the aws
// CLI takes most of a second.
func current(t *testing.T, c *client.Client) *ecs.ServiceDeployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svcs, err := c.DescribeServices(ctx, &ecs.DescribeServicesRequest{Cluster: "demo", Services: []string{"web"}})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(svcs.Services) == 0 || svcs.Services[0].CurrentServiceDeployment == "" {
		return nil
	}
	out, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsRequest{
		ServiceDeploymentArns: []string{svcs.Services[0].CurrentServiceDeployment}})
	if err != nil {
		t.Fatalf("DescribeServiceDeployments: %v", err)
	}
	if len(out.ServiceDeployments) == 0 {
		return nil
	}
	return &out.ServiceDeployments[0]
}

// chartRequests adds up the requests of the deployment page's totals
// table.
func chartRequests(p *browserPage) float64 {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(
		`[...document.querySelectorAll(%q)].reduce((a, td) => a + Number(td.textContent), 0)`,
		selChart+" table tbody tr td:nth-child(2)")))
	if err != nil {
		p.t.Fatalf("read the chart's totals: %v", err)
	}
	return n
}

// awsRunner runs the aws CLI against a server and decodes its output.
type awsRunner func(args ...string) (map[string]any, error)

// all runs fns at once and returns their errors.
func all(fns ...func() error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// blueGreenLoadBalancer makes, with aws-sdk-go-v2 (the aws CLI takes
// a second or two a call), a load balancer with blue and green target
// groups and a production and a test listener on the given ports; it
// returns the service's loadBalancers argument and the production
// listener's URL.
func blueGreenLoadBalancer(t *testing.T, s *server, prodPort, testPort int32) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := elbv2.New(elbv2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.url()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	lb, err := c.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("web")})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	groups := map[string]string{}
	for _, name := range []string{"blue", "green"} {
		tg, err := c.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
			Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), TargetType: elbtypes.TargetTypeEnumIp,
			HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(4),
			HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
		})
		if err != nil {
			t.Fatalf("CreateTargetGroup %s: %v", name, err)
		}
		groups[name] = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
		_, err = c.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(groups[name]),
			Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("1")}},
		})
		if err != nil {
			t.Fatalf("ModifyTargetGroupAttributes %s: %v", name, err)
		}
	}
	rules := map[int32]string{}
	for _, port := range []int32{prodPort, testPort} {
		l, err := c.CreateListener(ctx, &elbv2.CreateListenerInput{
			LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(port),
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
				TargetGroups: []elbtypes.TargetGroupTuple{
					{TargetGroupArn: aws.String(groups["blue"]), Weight: aws.Int32(1)},
					{TargetGroupArn: aws.String(groups["green"]), Weight: aws.Int32(0)},
				}}}},
		})
		if err != nil {
			t.Fatalf("CreateListener %d: %v", port, err)
		}
		r, err := c.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.Listeners[0].ListenerArn})
		if err != nil || len(r.Rules) == 0 {
			t.Fatalf("DescribeRules %d: %v", port, err)
		}
		rules[port] = aws.ToString(r.Rules[0].RuleArn)
	}
	lbs, _ := json.Marshal([]any{map[string]any{
		"targetGroupArn": groups["blue"], "containerName": "web", "containerPort": 8080,
		"advancedConfiguration": map[string]any{
			"alternateTargetGroupArn": groups["green"], "productionListenerRule": rules[prodPort],
			"testListenerRule": rules[testPort], "roleArn": "arn:aws:iam::000000000000:role/ecs",
		},
	}})
	return string(lbs), fmt.Sprintf("http://127.0.0.1:%d/", prodPort)
}

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int32 {
	t.Helper()
	_, port, _ := net.SplitHostPort(freeAddr(t))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

// Access keys of TestDashboardSignIn: a person's, for the dashboard, and
// the test's own, for its API calls.
const (
	dashKeyID     = "AKIADASHBOARDE2E0001"
	dashSecret    = "dashboard-e2e-secret-0001"
	dashKeyName   = "bob"
	clientKeyID   = "AKIACLIENTE2E0000001"
	clientSecret  = "client-e2e-secret-000001"
	clientKeyName = "ci"
)

// signedAWS returns the aws CLI of the server s signing with the given
// key.
func signedAWS(s *server, id, secret string) awsRunner {
	return func(args ...string) (map[string]any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "aws", append([]string{"--endpoint-url", s.url(), "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(),
			"AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=us-east-1",
			"AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		out := map[string]any{}
		if stdout.Len() > 0 {
			if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
				return nil, fmt.Errorf("aws %s: output %q: %w", strings.Join(args, " "), stdout.String(), err)
			}
		}
		return out, nil
	}
}

// TestDashboardSignIn runs a server with access keys: the dashboard
// demands a sign-in, refuses a wrong secret, and once signed in acts
// under the key's name, as the audit trail records.
func TestDashboardSignIn(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "access-keys")
	err := os.WriteFile(keys, []byte(fmt.Sprintf("# e2e\n%s %s %s\n%s %s %s\n",
		dashKeyID, dashSecret, dashKeyName, clientKeyID, clientSecret, clientKeyName)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--access-keys", keys)
	p := openBrowser(t, s)
	cli := signedAWS(s, clientKeyID, clientSecret)

	// A rolling service whose first deployment pauses before scaling up.
	v1 := taskDef(t, "v1", "")
	err = all(
		func() error { _, err := cli("ecs", "create-cluster", "--cluster-name", "demo"); return err },
		func() error { _, err := cli("ecs", "register-task-definition", "--cli-input-json", v1); return err })
	if err != nil {
		t.Fatal(err)
	}
	_, err = cli("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "1", "--deployment-configuration",
		`{"strategy":"ROLLING","lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["PRE_SCALE_UP"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	p.logf("service created")
	api := apiClient(t, s, clientKeyID, clientSecret)
	var arn string
	eventually(t, 30*time.Second, "the pause before scaling up", func() bool {
		d := current(t, api)
		if d == nil || len(d.LifecycleHookDetails) == 0 {
			return false
		}
		arn = d.ServiceDeploymentArn
		return d.LifecycleHookDetails[0].Status == ecs.DeploymentLifecycleHookStatusAwaitingAction
	})

	// Without a session the dashboard's API refuses, whatever the page.
	resp, err := http.Post(s.url()+"/ui/api/call", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /ui/api/call without a session: %s, want 401", resp.Status)
	}

	// A deep link to the deployment asks for a sign-in first.
	p.do("open the deployment page", 15*time.Second, chromedp.Navigate(p.deploymentURL(arn)),
		chromedp.WaitVisible(chromedp.ID("access-key-id")))
	p.waitText("h1", "Sign in", time.Second)
	p.screenshot("1-sign-in")

	p.do("sign in with a wrong secret", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("access-key-id"), dashKeyID),
		chromedp.SendKeys(chromedp.ID("secret-access-key"), "not-the-secret-of-bob\r"))
	p.waitText(selAlerts, "UnrecognizedClientException", 5*time.Second)
	p.waitText("h1", "Sign in", time.Second)
	if v := p.text("#user"); v != "" {
		t.Errorf("a refused sign-in shows a user: %q", v)
	}

	p.do("sign in", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("secret-access-key"), dashSecret+"\r"),
		chromedp.WaitVisible(chromedp.CSS(selApprove)))
	p.waitText("#user", "Signed in as "+dashKeyName, time.Second)
	p.waitText(selActions, "Waiting for approval at PRE_SCALE_UP", time.Second)
	p.screenshot("2-signed-in")

	// Rolling back asks first; Cancel leaves everything as it was.
	p.do("roll back at the pause, then cancel", 10*time.Second,
		chromedp.Click(chromedp.CSS(selHookRollback)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="hook-rollback-confirm"]`)),
		chromedp.Click(chromedp.CSS(`button[data-key$=":no"]`)),
		chromedp.WaitVisible(chromedp.CSS(selHookRollback)))
	// The first deployment has nothing to roll back to: the API's error
	// is shown, type and message.
	p.do("roll back the deployment", 10*time.Second,
		chromedp.Click(chromedp.CSS(selRollback)), chromedp.WaitVisible(chromedp.CSS(selConfirm)), chromedp.Click(chromedp.CSS(selConfirm)))
	p.waitText(selAlerts, "ConflictException", 5*time.Second)
	p.waitText(selAlerts, "no previous service revision", time.Second)

	p.do("approve", 10*time.Second, chromedp.Click(chromedp.CSS(selApprove)))
	p.waitText(selAudit, dashKeyName+" (dashboard "+dashKeyID+")", 15*time.Second)
	p.waitText(selAudit, "ContinueServiceDeployment", time.Second)
	p.screenshot("3-approved")

	// The API's audit trail says the same.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := api.ListAuditRecords(ctx, &cutoverapi.ListAuditRecordsRequest{Cluster: "demo", Service: "web", ServiceDeploymentArn: arn})
	if err != nil {
		t.Fatalf("ListAuditRecords: %v", err)
	}
	var found bool
	for _, r := range out.AuditRecords {
		if r.Action == cutoverapi.ActionContinue {
			found = true
			if r.Actor.Kind != "dashboard" || r.Actor.ID != dashKeyID || r.Actor.Name != dashKeyName {
				t.Errorf("the approval's actor is %+v, want %s of the dashboard", r.Actor, dashKeyName)
			}
		}
	}
	if !found {
		t.Errorf("no ContinueServiceDeployment in the audit trail: %+v", out.AuditRecords)
	}

	// Signing out ends the session: the page asks for a sign-in again.
	p.do("sign out", 10*time.Second, chromedp.Click(chromedp.CSS("#user button")), chromedp.WaitVisible(chromedp.ID("access-key-id")))
}
