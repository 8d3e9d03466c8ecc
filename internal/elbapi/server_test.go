package elbapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
)

func TestHandles(t *testing.T) {
	const form = "application/x-www-form-urlencoded; charset=utf-8"
	sig := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/" + service +
			"/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	}
	tests := []struct {
		name    string
		method  string
		url     string
		headers map[string]string
		want    bool
	}{
		{"signed for elbv2", "POST", "/", map[string]string{"Authorization": sig("elasticloadbalancing"), "Content-Type": form}, true},
		{"signed for cloudwatch", "POST", "/", map[string]string{"Authorization": sig("monitoring"), "Content-Type": form}, false},
		{"signed for ecs", "POST", "/", map[string]string{"Authorization": sig("ecs"), "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters"}, false},
		{"presigned", "GET", "/?X-Amz-Credential=AKID%2F20261124%2Fus-east-1%2Felasticloadbalancing%2Faws4_request", nil, true},
		{"unsigned form", "POST", "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, true},
		{"unsigned form with a JSON target", "POST", "/", map[string]string{"Content-Type": form, "X-Amz-Target": "X.Y"}, false},
		{"unsigned JSON", "POST", "/", map[string]string{"Content-Type": "application/x-amz-json-1.1"}, false},
		{"unsigned GET", "GET", "/healthz", nil, false},
		{"malformed authorization", "POST", "/", map[string]string{"Authorization": "AWS4-HMAC-SHA256 junk", "Content-Type": form}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.url, strings.NewReader("Action=DescribeLoadBalancers"))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := Handles(r); got != tt.want {
				t.Errorf("Handles = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDNSName(t *testing.T) {
	tests := map[string]string{
		"": "127.0.0.1", "127.0.0.1": "127.0.0.1", "127.0.0.1:0": "127.0.0.1", "0.0.0.0": "localhost",
		"[::]:80": "localhost", "lb.internal": "lb.internal", "10.1.2.3:8080": "10.1.2.3",
	}
	for in, want := range tests {
		if got := state.LoadBalancerDNSName(in); got != want {
			t.Errorf("LoadBalancerDNSName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestChanged checks that Changed follows successful writes only.
func TestChanged(t *testing.T) {
	api := newTestAPI(t, Config{})
	steps := []struct {
		form    string
		changes int64
	}{
		{"Action=CreateTargetGroup&Name=blue&Protocol=HTTP&Port=80", 1},
		{"Action=DescribeTargetGroups", 1},
		{"Action=CreateTargetGroup&Name=blue&Protocol=HTTP&Port=81", 1},
		{"Action=RegisterTargets&TargetGroupArn=" + arnPrefix + "targetgroup/blue/0000000000000001&Targets.member.1.Id=h", 2},
		{"Action=NoSuchAction", 2},
	}
	for _, s := range steps {
		post(api, s.form)
		if got := api.changes.Load(); got != s.changes {
			t.Fatalf("after %s: %d changes, want %d", s.form, got, s.changes)
		}
	}
}

// TestDescribeTargetHealthProvider checks that states come from the data
// plane when it knows a target, that draining targets it still reports
// are listed, and that its failure is HealthUnavailable.
func TestDescribeTargetHealthProvider(t *testing.T) {
	tg := arnPrefix + "targetgroup/blue/0000000000000001"
	var fail error
	api := newTestAPI(t, Config{Health: func(context.Context) ([]lb.TargetHealth, error) {
		return []lb.TargetHealth{
			{TargetGroupARN: tg, Target: lb.Target{Host: "a", Port: 80}, State: lb.StateHealthy},
			{TargetGroupARN: tg, Target: lb.Target{Host: "old", Port: 80}, State: lb.StateDraining,
				Reason: "Target.DeregistrationInProgress", Description: "Target deregistration is in progress"},
			{TargetGroupARN: "other", Target: lb.Target{Host: "b", Port: 80}, State: lb.StateHealthy},
		}, fail
	}})
	post(api, "Action=CreateTargetGroup&Name=blue&Protocol=HTTP&Port=80")
	post(api, "Action=RegisterTargets&TargetGroupArn="+tg+"&Targets.member.1.Id=a&Targets.member.2.Id=b")
	status, body := post(api, "Action=DescribeTargetHealth&TargetGroupArn="+tg)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got []string
	for _, l := range indentXML(t, []byte(body)) {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "<Id>") || strings.HasPrefix(l, "<State>") {
			got = append(got, l)
		}
	}
	want := []string{"<Id>a</Id>", "<State>healthy</State>", "<Id>b</Id>", "<State>unused</State>", "<Id>old</Id>", "<State>draining</State>"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	fail = errors.New("connection refused")
	status, body = post(api, "Action=DescribeTargetHealth&TargetGroupArn="+tg)
	if status != http.StatusInternalServerError || !strings.Contains(body, "<Code>HealthUnavailable</Code>") || !strings.Contains(body, "<Type>Receiver</Type>") {
		t.Errorf("provider failure: %d %s", status, body)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	api := newTestAPI(t, Config{})
	w := httptest.NewRecorder()
	api.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?Action=DescribeLoadBalancers", nil))
	if w.Code != http.StatusMethodNotAllowed || !strings.Contains(w.Body.String(), "<ErrorResponse") {
		t.Errorf("GET: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("x-amzn-RequestId") == "" {
		t.Error("no request ID header")
	}
}

func TestBodyTooLarge(t *testing.T) {
	api := newTestAPI(t, Config{})
	status, body := post(api, "Action=DescribeLoadBalancers&Names.member.1="+strings.Repeat("a", maxBody))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "RequestEntityTooLarge") {
		t.Errorf("got %d %s", status, body)
	}
}
