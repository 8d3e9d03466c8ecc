package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lbmetrics"
	"github.com/cutover/cutover/internal/metrics"
)

// TestActorRecorded checks that what the dashboard does is recorded in
// the audit trail as the dashboard user's: "local" without access keys,
// the key's ID and name with them.
func TestActorRecorded(t *testing.T) {
	cases := []struct {
		withKeys bool
		id, name string
	}{
		{false, "", localName},
		{true, testKeyID, testName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.withKeys)
			b := newBrowser(t, f.d)
			b.session()
			if c.withKeys {
				if resp := b.signIn(testKeyID, testSecret); resp.code != http.StatusOK {
					t.Fatalf("sign-in: %d %s", resp.code, resp.body)
				}
			}
			createService(t, b)
			resp := b.call(cutoverTarget+"ListAuditRecords", `{"cluster":"demo","service":"web"}`)
			if resp.code != http.StatusOK {
				t.Fatalf("ListAuditRecords: %d %s", resp.code, resp.body)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Errorf("content type %q, want the API's", ct)
			}
			records, _ := resp.json["auditRecords"].([]any)
			if len(records) != 1 {
				t.Fatalf("audit records: %s", resp.body)
			}
			r := records[0].(map[string]any)
			actor, _ := r["actor"].(map[string]any)
			var wantID any
			if c.id != "" {
				wantID = c.id
			}
			if r["action"] != "CreateService" || actor["kind"] != "dashboard" || actor["name"] != c.name ||
				actor["id"] != wantID || actor["address"] != "192.0.2.1" {
				t.Errorf("audit record %v, want CreateService by dashboard user %q (%q) from 192.0.2.1", r, c.name, c.id)
			}
		})
	}
}

// TestCallErrors checks that bad input gets the API's client errors,
// never a 500.
func TestCallErrors(t *testing.T) {
	f := newFixture(t, false)
	b := newBrowser(t, f.d)
	b.session()
	cases := []struct {
		what, target, body string
		code               int
		typ                string
	}{
		{"no target", "", `{}`, http.StatusBadRequest, "UnknownOperationException"},
		{"unknown operation", ecsTarget + "Nope", `{}`, http.StatusBadRequest, "UnknownOperationException"},
		{"unknown cutover operation", cutoverTarget + "Nope", `{}`, http.StatusBadRequest, "UnknownOperationException"},
		{"not JSON", ecsTarget + "ListClusters", `{"maxResults":`, http.StatusBadRequest, "SerializationException"},
		{"not JSON, cutover's", cutoverTarget + "ListAuditRecords", `nope`, http.StatusBadRequest, "SerializationException"},
		{"wrong type", ecsTarget + "DescribeServices", `{"services":"web"}`, http.StatusBadRequest, "SerializationException"},
		{"unknown field, cutover's", cutoverTarget + "EndServiceDeploymentBakeTime", `{"nope":1}`, http.StatusBadRequest, "SerializationException"},
		{"missing field", cutoverTarget + "EndServiceDeploymentBakeTime", `{}`, http.StatusBadRequest, "InvalidParameterException"},
		{"no such deployment", cutoverTarget + "DescribeServiceDeploymentDetails",
			`{"serviceDeploymentArn":"arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/x"}`, http.StatusBadRequest, "ServiceDeploymentNotFoundException"},
		{"too large", ecsTarget + "ListClusters", `{"x":"` + strings.Repeat("a", maxCallBody) + `"}`, http.StatusRequestEntityTooLarge, "SerializationException"},
	}
	for _, c := range cases {
		resp := b.call(c.target, c.body)
		if resp.code >= 500 {
			t.Errorf("%s: %d %s", c.what, resp.code, resp.body)
			continue
		}
		if c.typ == "SerializationException" && resp.code == http.StatusBadRequest && resp.json["__type"] != c.typ {
			// The model's checks may name a decoding error otherwise; it
			// must still be a client error of the API's shape.
			if resp.json["__type"] == nil || resp.json["message"] == nil {
				t.Errorf("%s: %d %s", c.what, resp.code, resp.body)
			}
			continue
		}
		wantError(t, c.what, resp, c.code, c.typ)
	}
	if resp := b.do(http.MethodGet, "/ui/api/call", "", nil); resp.code != http.StatusMethodNotAllowed {
		t.Errorf("GET /ui/api/call: %d", resp.code)
	}
	if resp := b.do(http.MethodGet, "/ui/api/nope", "", nil); resp.code != http.StatusNotFound {
		t.Errorf("GET /ui/api/nope: %d", resp.code)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, false)
	b := newBrowser(t, f.d)
	b.session()
	tg := "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/0123456789abcdef"
	now := f.clock.Now()
	dims := lbmetrics.Dimensions("", tg)
	for i := range 30 {
		at := now.Add(-time.Duration(i) * 10 * time.Second)
		f.ms.Add(lbmetrics.Namespace, lbmetrics.RequestCount, lbmetrics.UnitCount, dims, at, metrics.Value(10))
		f.ms.Add(lbmetrics.Namespace, lbmetrics.HTTPCodeTarget5XXCount, lbmetrics.UnitCount, dims, at, metrics.Value(1))
	}
	// Another target group's traffic is not this one's.
	f.ms.Add(lbmetrics.Namespace, lbmetrics.RequestCount, lbmetrics.UnitCount, lbmetrics.Dimensions("", tg+"0"), now, metrics.Value(1000))

	get := func(q string) response { return b.do(http.MethodGet, "/ui/api/metrics?"+q, "", nil) }
	sum := func(resp response, name string) (total float64, n int) {
		series, _ := resp.json["series"].(map[string]any)
		points, _ := series[name].([]any)
		for _, p := range points {
			total += p.([]any)[1].(float64)
		}
		return total, len(points)
	}

	start := now.Add(-10 * time.Minute)
	resp := get(fmt.Sprintf("targetGroupArn=%s&start=%d&end=%d", tg, start.Unix(), now.Add(time.Second).Unix()))
	if resp.code != http.StatusOK {
		t.Fatalf("metrics: %d %s", resp.code, resp.body)
	}
	if resp.json["period"] != float64(10) {
		t.Errorf("period over 10 minutes: %v, want the store's 10 s", resp.json["period"])
	}
	if total, _ := sum(resp, lbmetrics.RequestCount); total != 300 {
		t.Errorf("requests: %v, want 300", total)
	}
	if total, _ := sum(resp, lbmetrics.HTTPCodeTarget5XXCount); total != 30 {
		t.Errorf("target 5xx: %v, want 30", total)
	}
	if _, ok := resp.json["series"].(map[string]any)[lbmetrics.HTTPCodeELB5XXCount]; !ok {
		t.Error("no ELB 5xx series")
	}

	// A long span keeps under 300 points and loses no request.
	resp = get(fmt.Sprintf("targetGroupArn=%s&start=%s&end=%s", tg, now.Add(-3*time.Hour).Format(time.RFC3339), now.Add(time.Second).Format(time.RFC3339)))
	if resp.code != http.StatusOK {
		t.Fatalf("metrics over 3 hours: %d %s", resp.code, resp.body)
	}
	if total, n := sum(resp, lbmetrics.RequestCount); total != 300 || n > maxPoints {
		t.Errorf("over 3 hours: %v requests in %d points", total, n)
	}
	if p := resp.json["period"].(float64); p*maxPoints < 3*3600 || int(p)%10 != 0 {
		t.Errorf("period over 3 hours: %v", p)
	}

	for q, typ := range map[string]string{
		"":                                    "InvalidParameterException",
		"targetGroupArn=x&start=yesterday":    "InvalidParameterException",
		"targetGroupArn=x&start=100&end=50":   "InvalidParameterException",
		"targetGroupArn=x&start=0&end=1e10":   "InvalidParameterException",
		"targetGroupArn=x&start=NaN":          "InvalidParameterException",
		"targetGroupArn=x&end=-5":             "InvalidParameterException",
		"targetGroupArn=x&start=1&end=1e1000": "InvalidParameterException",
	} {
		wantError(t, "metrics?"+q, get(q), http.StatusBadRequest, typ)
	}
}

func TestChartPeriod(t *testing.T) {
	cases := []struct {
		span, resolution, want time.Duration
	}{
		{time.Minute, 10 * time.Second, 10 * time.Second},
		{50 * time.Minute, 10 * time.Second, 10 * time.Second},
		{51 * time.Minute, 10 * time.Second, 20 * time.Second},
		{3 * time.Hour, 10 * time.Second, 40 * time.Second},
		{24 * time.Hour, 10 * time.Second, 290 * time.Second},
		{time.Minute, 0, time.Second},
	}
	for _, c := range cases {
		got := chartPeriod(c.span, c.resolution)
		if got != c.want {
			t.Errorf("chartPeriod(%v, %v) = %v, want %v", c.span, c.resolution, got, c.want)
		}
		if c.span/got > maxPoints {
			t.Errorf("chartPeriod(%v, %v) = %v: %d points", c.span, c.resolution, got, c.span/got)
		}
	}
}

// TestEvents checks that the dashboard streams the event log to a
// signed-in user.
func TestEvents(t *testing.T) {
	f := newFixture(t, true)
	b := newBrowser(t, f.d)
	b.session()
	b.signIn(testKeyID, testSecret)
	createService(t, b)

	// The stream replays the log (after=0), then follows it until the
	// client goes away.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	r := httptest.NewRequest(http.MethodGet, "/ui/api/events?after=0&detailType=Cutover+Audit+Record", nil).WithContext(ctx)
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.d.ServeHTTP(w, r)
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	if body := w.Body.String(); !strings.Contains(body, "event: Cutover Audit Record\n") || !strings.Contains(body, `"name":"`+testName+`"`) {
		t.Errorf("stream:\n%s", body)
	}
}

func TestAssets(t *testing.T) {
	f := newFixture(t, false)
	b := newBrowser(t, f.d)

	resp := b.do(http.MethodGet, "/ui", "", nil)
	if resp.code != http.StatusMovedPermanently || resp.header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d to %q", resp.code, resp.header.Get("Location"))
	}
	page := b.do(http.MethodGet, "/ui/", "", nil)
	if page.code != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page.body, `src="assets/app.js"`) {
		t.Fatalf("GET /ui/: %d %q", page.code, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	etag := page.header.Get("ETag")
	if etag == "" || page.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("page caching: ETag %q, Cache-Control %q", etag, page.header.Get("Cache-Control"))
	}
	if resp := b.do(http.MethodGet, "/ui/", "", func(r *http.Request) { r.Header.Set("If-None-Match", etag) }); resp.code != http.StatusNotModified {
		t.Errorf("GET /ui/ with its ETag: %d, want 304", resp.code)
	}
	for name, ct := range map[string]string{
		"assets/app.js": "text/javascript", "assets/deployment.js": "text/javascript", "assets/app.css": "text/css",
	} {
		resp := b.do(http.MethodGet, "/ui/"+name, "", nil)
		if resp.code != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), ct) || resp.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET /ui/%s: %d %q", name, resp.code, resp.header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/ui/assets/", "/ui/assets", "/ui/nope.js", "/ui/../go.mod", "/ui/web/index.html"} {
		if resp := b.do(http.MethodGet, p, "", nil); resp.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.code)
		}
	}
	if resp := b.do(http.MethodPost, "/ui/", "", nil); resp.code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/: %d", resp.code)
	}
}
