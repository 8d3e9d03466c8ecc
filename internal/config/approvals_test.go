package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestApprovals(t *testing.T) {
	doc := `
approvals:
  publicURL: https://cutover.example.com/
  slack:
    botToken: xoxb-1-2-3
    signingSecret: slack-signing
    channel: "#deploys"
    approvers: [U0123ABCD, W0456EFGH]
  links:
    - name: teams
      url: https://hooks.example.com/cutover
      secret: link-secret
      ttl: 2h
    - name: mattermost.ops
      url: http://127.0.0.1:8065/hooks/x
`
	c, err := Parse([]byte(doc), "/")
	if err != nil {
		t.Fatal(err)
	}
	want := Approvals{
		PublicURL: "https://cutover.example.com",
		Slack: &Slack{
			BotToken: "xoxb-1-2-3", SigningSecret: "slack-signing", Channel: "#deploys",
			Approvers: []string{"U0123ABCD", "W0456EFGH"}, APIURL: DefaultSlackAPIURL,
		},
		Links: []ApprovalLink{
			{Name: "teams", URL: "https://hooks.example.com/cutover", Secret: "link-secret", TTL: Duration(2 * time.Hour)},
			{Name: "mattermost.ops", URL: "http://127.0.0.1:8065/hooks/x"},
		},
	}
	if !reflect.DeepEqual(c.Approvals, want) {
		t.Fatalf("got %+v\nwant %+v", c.Approvals, want)
	}

	c, err = Parse([]byte("approvals:\n  slack: {botToken: t, signingSecret: s, channel: C1, approvers: [U1A], apiURL: 'http://127.0.0.1:1/api'}\n"), "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Approvals.Slack.APIURL; got != "http://127.0.0.1:1/api/" {
		t.Errorf("apiURL %q, want a trailing slash added", got)
	}
	if c, err := Parse([]byte("signingSecret: x\n"), "/"); err != nil || c.Approvals.Slack != nil || c.Approvals.Links != nil {
		t.Errorf("no approvals section: %+v, %v", c, err)
	}
}

func TestApprovalsErrors(t *testing.T) {
	slack := func(fields string) string {
		return "approvals:\n  slack: {" + fields + "}\n"
	}
	const ok = "botToken: t, signingSecret: s, channel: C1, approvers: [U1A]"
	cases := map[string]struct{ doc, mention string }{
		"public url scheme":  {"approvals:\n  publicURL: cutover.example.com\n", "approvals.publicURL"},
		"public url query":   {"approvals:\n  publicURL: 'https://a.example/?x=1'\n", "approvals.publicURL"},
		"no token":           {slack("signingSecret: s, channel: C1, approvers: [U1A]"), "botToken"},
		"no signing secret":  {slack("botToken: t, channel: C1, approvers: [U1A]"), "signingSecret"},
		"no channel":         {slack("botToken: t, signingSecret: s, approvers: [U1A]"), "channel"},
		"no approvers":       {slack("botToken: t, signingSecret: s, channel: C1"), "approvers"},
		"approver not an ID": {slack("botToken: t, signingSecret: s, channel: C1, approvers: [U1A, alice]"), `approvers[1] "alice"`},
		"api url":            {slack(ok + ", apiURL: 'slack.com/api'"), "apiURL"},
		"unknown field":      {slack(ok + ", token: x"), "token"},
		"link without name":  {"approvals:\n  links:\n    - url: http://a/\n", "approvals.links[0]"},
		"link name chars":    {"approvals:\n  links:\n    - {name: 'a b', url: 'http://a/'}\n", "approvals.links[0]"},
		"link name twice":    {"approvals:\n  links:\n    - {name: a, url: 'http://a/'}\n    - {name: a, url: 'http://b/'}\n", "approvals.links[1]"},
		"link url":           {"approvals:\n  links:\n    - {name: a, url: 'ftp://a/'}\n", "approvals.links[0] (a)"},
		"link ttl":           {"approvals:\n  links:\n    - {name: a, url: 'http://a/', ttl: -1h}\n", "duration"},
	}
	for name, c := range cases {
		_, err := Parse([]byte(c.doc), "/")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", name, err, c.mention)
		}
	}
}

func TestApprovalsSecretsNotLogged(t *testing.T) {
	s := Slack{BotToken: "xoxb-SECRET-TOKEN", SigningSecret: "SIGNING-SECRET", Channel: "C1", Approvers: []string{"U1A"}}
	l := ApprovalLink{Name: "teams", URL: "http://a/", Secret: "LINK-SECRET", TTL: Duration(time.Hour)}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("config", "slack", s, "link", l)
	fmt.Fprintf(&buf, "%v %+v %s\n", s, l, []ApprovalLink{l})
	for _, secret := range []string{"SECRET-TOKEN", "SIGNING-SECRET", "LINK-SECRET"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("a secret shows in %s", buf.String())
		}
	}
	if !strings.Contains(buf.String(), "teams") || !strings.Contains(buf.String(), "C1") {
		t.Errorf("the settings do not show at all: %s", buf.String())
	}
}
