package server

import (
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/approvals"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/store/bolt"
)

func TestPublicURL(t *testing.T) {
	cases := []struct {
		configured, listen string
		tls                bool
		want               string
	}{
		{"https://cutover.example.com", "127.0.0.1:7400", false, "https://cutover.example.com"},
		{"", "127.0.0.1:7400", false, "http://127.0.0.1:7400"},
		{"", "127.0.0.1:7400", true, "https://127.0.0.1:7400"},
		{"", ":7400", false, "http://localhost:7400"},
		{"", "0.0.0.0:7400", false, "http://localhost:7400"},
		{"", "[::]:7400", false, "http://localhost:7400"},
		{"", "[fd00::5]:7400", false, "http://[fd00::5]:7400"},
		{"", "deploy.internal:7400", true, "https://deploy.internal:7400"},
	}
	for _, c := range cases {
		if got := publicURL(c.configured, c.listen, c.tls); got != c.want {
			t.Errorf("publicURL(%q, %q, tls=%v) = %q, want %q", c.configured, c.listen, c.tls, got, c.want)
		}
	}
}

func TestNewApprovals(t *testing.T) {
	none, err := newApprovals(Config{Listen: "127.0.0.1:7400"}, &config.Config{}, nil, nil, nil, nil)
	if err != nil || len(none.routes) != 0 || len(none.sinks) != 0 {
		t.Fatalf("no approvals section: %+v, %v", none, err)
	}

	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file, err := config.Parse([]byte(`approvals:
  slack: {botToken: xoxb-1, signingSecret: s, channel: C1, approvers: [U1A]}
  links:
    - {name: teams, url: "http://127.0.0.1:1/a"}
    - {name: chat, url: "http://127.0.0.1:1/b", secret: own}
`), "/")
	if err != nil {
		t.Fatal(err)
	}
	api := ecsapi.New(ecsapi.Config{Store: st})
	flows, err := newApprovals(Config{Listen: ":7400"}, file, api, st, []byte("server-secret"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var prefixes, sinks []string
	for _, r := range flows.routes {
		prefixes = append(prefixes, r.prefix)
	}
	for _, s := range flows.sinks {
		sinks = append(sinks, s.Name)
	}
	if want := []string{approvals.SlackPath, approvals.LinksPath}; !slices.Equal(prefixes, want) {
		t.Errorf("routes %v, want %v", prefixes, want)
	}
	if want := []string{"approvals-slack", "approvals-link-teams", "approvals-link-chat"}; !slices.Equal(sinks, want) {
		t.Errorf("sinks %v, want %v", sinks, want)
	}
	if h := routeOf(flows.routes, "/slack/interactions"); h == nil {
		t.Error("the Slack interaction endpoint is not routed")
	}
}
