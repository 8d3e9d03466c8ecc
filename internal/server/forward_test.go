package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/store/postgres"
)

// A follower serves reads itself and sends writes to the leader, intact:
// method, path, Host (which the caller's signature covers) and body.
func TestFollowerForwardsWrites(t *testing.T) {
	type seen struct{ host, body, by string }
	got := make(chan seen, 1)
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Host, string(b), r.Header.Get(forwardedHeader)}
		w.Write([]byte("from the leader"))
	}))
	defer leader.Close()
	l := newLeadership(nil, "follower", "http://follower:7400", slog.New(slog.DiscardHandler))
	l.lease.Store(&postgres.Lease{Holder: "leader", Address: leader.URL, Live: true})
	h := l.route(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write([]byte("local " + string(b)))
	}))

	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, method, target, ctype, body string
		forwarded                         bool
	}{
		{"ECS read", "POST", "AmazonEC2ContainerServiceV20141113.DescribeServices", "application/x-amz-json-1.1", `{"cluster":"c"}`, false},
		{"ECS write", "POST", "AmazonEC2ContainerServiceV20141113.UpdateService", "application/x-amz-json-1.1", `{"service":"s"}`, true},
		{"ECS continue", "POST", "AmazonEC2ContainerServiceV20141113.ContinueServiceDeployment", "application/x-amz-json-1.1", `{}`, true},
		{"ELBv2 read", "POST", "", form, "Action=DescribeTargetHealth&Version=2015-12-01", false},
		{"ELBv2 write", "POST", "", form, "Action=RegisterTargets&Version=2015-12-01", true},
		{"CloudWatch read", "POST", "GraniteServiceVersion20100801.GetMetricData", "application/x-amz-json-1.0", `{}`, false},
		{"CloudWatch write", "POST", "GraniteServiceVersion20100801.PutMetricAlarm", "application/x-amz-json-1.0", `{}`, true},
		{"dashboard page", "GET", "", "", "", false},
		{"dashboard action", "POST", "", "application/json", `{"approve":true}`, true},
	} {
		r := httptest.NewRequest(c.method, "http://follower:7400/x", strings.NewReader(c.body))
		if c.target != "" {
			r.Header.Set("X-Amz-Target", c.target)
		}
		if c.ctype != "" {
			r.Header.Set("Content-Type", c.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !c.forwarded {
			if want := "local " + c.body; w.Body.String() != want {
				t.Errorf("%s: answered %d %q, want %q (served here)", c.name, w.Code, w.Body, want)
			}
			continue
		}
		if w.Code != http.StatusOK || w.Body.String() != "from the leader" {
			t.Errorf("%s: answered %d %q, want the leader's answer", c.name, w.Code, w.Body)
			continue
		}
		if s := <-got; s.host != "follower:7400" || s.body != c.body || s.by != "http://follower:7400" {
			t.Errorf("%s: the leader got Host %q, body %q, forwarded by %q", c.name, s.host, s.body, s.by)
		}
	}
}

// A write that finds no leader, or that was forwarded to a server that
// does not lead, is refused with a 503 in its protocol's shape.
func TestWriteWithoutLeaderIsRefused(t *testing.T) {
	l := newLeadership(nil, "follower", "http://follower:7400", slog.New(slog.DiscardHandler))
	l.leaderWait = 100 * time.Millisecond
	h := l.route(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("a write was served by a follower") }))
	for _, c := range []struct {
		name, target, ctype, body, forwardedBy, want string
	}{
		{"ECS, no leader", "AmazonEC2ContainerServiceV20141113.UpdateService", "application/x-amz-json-1.1", `{}`, "", `"__type":"ServerException"`},
		{"ELBv2, no leader", "", "application/x-www-form-urlencoded", "Action=RegisterTargets", "", "<Code>ServiceUnavailable</Code>"},
		{"ECS, forwarded twice", "AmazonEC2ContainerServiceV20141113.UpdateService", "application/x-amz-json-1.1", `{}`, "http://other", "does not lead the control plane either"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		if c.target != "" {
			r.Header.Set("X-Amz-Target", c.target)
		}
		r.Header.Set("Content-Type", c.ctype)
		if c.forwardedBy != "" {
			r.Header.Set(forwardedHeader, c.forwardedBy)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("%s: %d %s; want 503 with %s", c.name, w.Code, w.Body, c.want)
		}
	}
}
