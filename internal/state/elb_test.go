package state

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

var elbARNs = ARNs{Region: "us-east-1", Account: "000000000000"}

func TestParseELBARN(t *testing.T) {
	tests := []struct {
		arn   string
		typ   string
		parts []string
	}{
		{elbARNs.ELBLoadBalancer("web", "aa"), ELBLoadBalancer, []string{"web", "aa"}},
		{elbARNs.ELBTargetGroup("blue", "bb"), ELBTargetGroup, []string{"blue", "bb"}},
		{elbARNs.ELBListener("web", "aa", "cc"), ELBListener, []string{"web", "aa", "cc"}},
		{elbARNs.ELBRule("web", "aa", "cc", "dd"), ELBRule, []string{"web", "aa", "cc", "dd"}},
		{"arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/net/web/aa", "", nil},
		{"arn:aws:elasticloadbalancing:us-east-1:0:targetgroup/blue", "", nil},
		{"arn:aws:elasticloadbalancing:us-east-1:0:listener/app/web//cc", "", nil},
		{"arn:aws:ecs:us-east-1:0:cluster/default", "", nil},
		{"arn:aws:elasticloadbalancing:us-east-1:0:truststore/x/y", "", nil},
		{"web", "", nil},
	}
	for _, tt := range tests {
		a, err := ParseELBARN(tt.arn)
		if tt.typ == "" {
			if !errors.Is(err, ErrNotELBARN) {
				t.Errorf("ParseELBARN(%q) = %+v, %v; want ErrNotELBARN", tt.arn, a, err)
			}
			continue
		}
		if err != nil || a.Type != tt.typ || !reflect.DeepEqual(a.Parts, tt.parts) || a.Region != "us-east-1" {
			t.Errorf("ParseELBARN(%q) = %+v, %v", tt.arn, a, err)
		}
	}
}

// elbFixture stores a load balancer with two listeners (one with rules),
// a second load balancer, and three target groups.
func elbFixture(t *testing.T, tx Tx) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	blue, green, idle := elbARNs.ELBTargetGroup("blue", "b1"), elbARNs.ELBTargetGroup("green", "g1"), elbARNs.ELBTargetGroup("idle", "i1")
	web, api := elbARNs.ELBLoadBalancer("web", "w1"), elbARNs.ELBLoadBalancer("api", "a1")
	must(tx.PutLoadBalancer(&LoadBalancer{ID: "w1", LoadBalancer: elbv2.LoadBalancer{LoadBalancerArn: web, LoadBalancerName: "web"}}))
	must(tx.PutLoadBalancer(&LoadBalancer{ID: "a1", LoadBalancer: elbv2.LoadBalancer{LoadBalancerArn: api, LoadBalancerName: "api"}}))
	must(tx.PutTargetGroup(&TargetGroup{
		ID:          "b1",
		TargetGroup: elbv2.TargetGroup{TargetGroupArn: blue, TargetGroupName: "blue", Protocol: "HTTP", Port: elbv2.Int32(80)},
		Targets:     []Target{{ID: "127.0.0.1", Port: 9001}, {ID: "localhost", Port: 9002}},
	}))
	must(tx.PutTargetGroup(&TargetGroup{
		ID: "g1",
		TargetGroup: elbv2.TargetGroup{
			TargetGroupArn: green, TargetGroupName: "green", Protocol: "HTTP", ProtocolVersion: "HTTP2",
			HealthCheckPort: "9000", HealthCheckPath: "/healthz", HealthCheckEnabled: elbv2.Bool(false),
			HealthCheckIntervalSeconds: elbv2.Int32(10), HealthCheckTimeoutSeconds: elbv2.Int32(2),
			HealthyThresholdCount: elbv2.Int32(3), UnhealthyThresholdCount: elbv2.Int32(4),
			Matcher: &elbv2.Matcher{HttpCode: "200-299"},
		},
		Attributes: map[string]string{AttrDeregistrationDelay: "5"},
		Targets:    []Target{{ID: "10.0.0.1", Port: 8080}},
	}))
	must(tx.PutTargetGroup(&TargetGroup{ID: "i1", TargetGroup: elbv2.TargetGroup{TargetGroupArn: idle, TargetGroupName: "idle"}}))

	// Listeners are stored out of port order; LBConfig sorts them.
	must(tx.PutListener(&Listener{ID: "l2", DefaultRuleID: "d2", Listener: elbv2.Listener{
		ListenerArn: elbARNs.ELBListener("web", "w1", "l2"), LoadBalancerArn: web, Port: elbv2.Int32(8001), Protocol: "HTTP",
		DefaultActions: []elbv2.Action{{Type: elbv2.ActionTypeEnumForward, TargetGroupArn: green}},
	}}))
	must(tx.PutListener(&Listener{ID: "l1", DefaultRuleID: "d1", Listener: elbv2.Listener{
		ListenerArn: elbARNs.ELBListener("web", "w1", "l1"), LoadBalancerArn: web, Port: elbv2.Int32(8000), Protocol: "HTTP",
		DefaultActions: []elbv2.Action{{Type: elbv2.ActionTypeEnumForward, ForwardConfig: &elbv2.ForwardActionConfig{
			TargetGroups: []elbv2.TargetGroupTuple{{TargetGroupArn: blue, Weight: elbv2.Int32(90)}, {TargetGroupArn: green, Weight: elbv2.Int32(10)}},
		}}},
	}}))
	must(tx.PutListener(&Listener{ID: "l3", DefaultRuleID: "d3", Listener: elbv2.Listener{
		ListenerArn: elbARNs.ELBListener("api", "a1", "l3"), LoadBalancerArn: api, Port: elbv2.Int32(9000),
		DefaultActions: []elbv2.Action{{Type: elbv2.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbv2.FixedResponseActionConfig{
			StatusCode: "503", ContentType: "text/plain", MessageBody: "down",
		}}},
	}}))
	rule := func(id, priority string, conds []elbv2.RuleCondition, actions []elbv2.Action) *Rule {
		return &Rule{ID: id, ListenerArn: elbARNs.ELBListener("web", "w1", "l1"), Rule: elbv2.Rule{
			RuleArn: elbARNs.ELBRule("web", "w1", "l1", id), Priority: priority, Conditions: conds, Actions: actions,
		}}
	}
	forwardGreen := []elbv2.Action{{Type: elbv2.ActionTypeEnumForward, TargetGroupArn: green}}
	must(tx.PutRule(rule("r20", "20", []elbv2.RuleCondition{
		{Field: "host-header", HostHeaderConfig: &elbv2.HostHeaderConditionConfig{Values: []string{"*.example.com"}}},
		{Field: "http-header", HttpHeaderConfig: &elbv2.HttpHeaderConditionConfig{HttpHeaderName: "X-Canary", Values: []string{"yes"}}},
		{Field: "query-string", QueryStringConfig: &elbv2.QueryStringConditionConfig{Values: []elbv2.QueryStringKeyValuePair{{Key: "v", Value: "2"}}}},
		{Field: "http-request-method", HttpRequestMethodConfig: &elbv2.HttpRequestMethodConditionConfig{Values: []string{"GET"}}},
	}, forwardGreen)))
	must(tx.PutRule(rule("r3", "3", []elbv2.RuleCondition{
		{Field: "path-pattern", Values: []string{"/api/*"}},
	}, forwardGreen)))
}

func openELBStore(t *testing.T) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestLBConfig(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	if err := st.Update(ctx, func(tx store.Tx) error { elbFixture(t, Tx{Tx: tx}); return nil }); err != nil {
		t.Fatal(err)
	}
	var cfg lb.Config
	if err := st.View(ctx, func(tx store.Tx) error {
		var err error
		cfg, err = Tx{Tx: tx}.LBConfig("127.0.0.1", 7, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	blue, green, idle := elbARNs.ELBTargetGroup("blue", "b1"), elbARNs.ELBTargetGroup("green", "g1"), elbARNs.ELBTargetGroup("idle", "i1")
	forwardGreen := []lb.Action{{Type: lb.ActionForward, TargetGroups: []lb.WeightedTargetGroup{{ARN: green, Weight: 1}}}}
	want := lb.Config{
		Version: 7,
		Listeners: []lb.Listener{
			{
				ARN: elbARNs.ELBListener("api", "a1", "l3"), Address: "127.0.0.1:9000", Protocol: "HTTP",
				DefaultActions: []lb.Action{{Type: lb.ActionFixedResponse, FixedResponse: &lb.FixedResponse{StatusCode: 503, ContentType: "text/plain", MessageBody: "down"}}},
			},
			{
				ARN: elbARNs.ELBListener("web", "w1", "l1"), Address: "127.0.0.1:8000", Protocol: "HTTP",
				Rules: []lb.Rule{
					{ARN: elbARNs.ELBRule("web", "w1", "l1", "r3"), Priority: 3, Actions: forwardGreen,
						Conditions: []lb.Condition{{Field: lb.FieldPathPattern, Values: []string{"/api/*"}}}},
					{ARN: elbARNs.ELBRule("web", "w1", "l1", "r20"), Priority: 20, Actions: forwardGreen,
						Conditions: []lb.Condition{
							{Field: lb.FieldHostHeader, Values: []string{"*.example.com"}},
							{Field: lb.FieldHTTPHeader, HeaderName: "X-Canary", Values: []string{"yes"}},
							{Field: lb.FieldQueryString, QueryStrings: []lb.KeyValue{{Key: "v", Value: "2"}}},
							{Field: lb.FieldHTTPRequestMethod, Values: []string{"GET"}},
						}},
				},
				DefaultActions: []lb.Action{{Type: lb.ActionForward, TargetGroups: []lb.WeightedTargetGroup{{ARN: blue, Weight: 90}, {ARN: green, Weight: 10}}}},
			},
			{ARN: elbARNs.ELBListener("web", "w1", "l2"), Address: "127.0.0.1:8001", Protocol: "HTTP", DefaultActions: forwardGreen},
		},
		TargetGroups: []lb.TargetGroup{
			{
				ARN: blue, Protocol: "HTTP", DeregistrationDelay: 300 * time.Second,
				HealthCheck: lb.HealthCheck{Enabled: true, Path: "/", Interval: 30 * time.Second, Timeout: 5 * time.Second,
					HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"},
				Targets: []lb.Target{{Host: "127.0.0.1", Port: 9001}, {Host: "localhost", Port: 9002}},
			},
			{
				ARN: green, Protocol: "HTTP", ProtocolVersion: "HTTP2", DeregistrationDelay: 5 * time.Second,
				HealthCheck: lb.HealthCheck{Enabled: false, Path: "/healthz", Port: 9000, Interval: 10 * time.Second, Timeout: 2 * time.Second,
					HealthyThreshold: 3, UnhealthyThreshold: 4, Matcher: "200-299"},
				Targets: []lb.Target{{Host: "10.0.0.1", Port: 8080}},
			},
			{
				ARN: idle, Protocol: "HTTP", DeregistrationDelay: 300 * time.Second,
				HealthCheck: lb.HealthCheck{Enabled: true, Path: "/", Interval: 30 * time.Second, Timeout: 5 * time.Second,
					HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"},
			},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("LBConfig:\ngot  %+v\nwant %+v", cfg, want)
	}
}

func TestLBConfigEmpty(t *testing.T) {
	st := openELBStore(t)
	err := st.View(context.Background(), func(tx store.Tx) error {
		cfg, err := Tx{Tx: tx}.LBConfig("0.0.0.0", 1, nil)
		if err == nil && (cfg.Listeners == nil || cfg.TargetGroups == nil || len(cfg.Listeners)+len(cfg.TargetGroups) != 0) {
			t.Errorf("empty store: %+v, want empty non-nil lists", cfg)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestELBAccessors(t *testing.T) {
	st := openELBStore(t)
	err := st.Update(context.Background(), func(stx store.Tx) error {
		tx := Tx{Tx: stx}
		elbFixture(t, tx)
		web := elbARNs.ELBLoadBalancer("web", "w1")
		if l, err := tx.LoadBalancer(web); err != nil || l.ID != "w1" {
			t.Errorf("LoadBalancer(web) = %+v, %v", l, err)
		}
		for _, arn := range []string{elbARNs.ELBLoadBalancer("web", "other-id"), elbARNs.ELBTargetGroup("web", "w1"), "junk"} {
			if _, err := tx.LoadBalancer(arn); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("LoadBalancer(%q): %v, want ErrNotFound", arn, err)
			}
		}
		if _, err := tx.TargetGroup(elbARNs.ELBTargetGroup("blue", "x")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TargetGroup with a wrong ID: %v", err)
		}
		if l, err := tx.Listener(elbARNs.ELBListener("web", "w1", "l2")); err != nil || elbv2.Int32Value(l.Port) != 8001 {
			t.Errorf("Listener(l2) = %+v, %v", l, err)
		}
		rules, err := tx.Rules("l1")
		if err != nil || len(rules) != 2 || rules[0].ID != "r3" || rules[1].ID != "r20" {
			t.Errorf("Rules(l1) = %v, %v; want r3, r20 by priority", rules, err)
		}
		r, err := tx.Rule(elbARNs.ELBRule("web", "w1", "l1", "r3"))
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.DeleteRule(r); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Rule(r.RuleArn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted rule: %v", err)
		}

		users, err := tx.TargetGroupLoadBalancers()
		if err != nil {
			t.Fatal(err)
		}
		wantUsers := map[string][]string{
			elbARNs.ELBTargetGroup("blue", "b1"):  {web},
			elbARNs.ELBTargetGroup("green", "g1"): {web},
		}
		if !reflect.DeepEqual(users, wantUsers) {
			t.Errorf("TargetGroupLoadBalancers = %v, want %v", users, wantUsers)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDefaultRule(t *testing.T) {
	l := &Listener{Listener: elbv2.Listener{DefaultActions: []elbv2.Action{{Type: elbv2.ActionTypeEnumForward}}}}
	r := l.DefaultRule("arn")
	if r.Priority != "default" || !elbv2.BoolValue(r.IsDefault) || r.Conditions == nil || len(r.Actions) != 1 || r.RuleArn != "arn" {
		t.Errorf("DefaultRule = %+v", r)
	}
}
