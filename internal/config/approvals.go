package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultSlackAPIURL is where the Slack Web API is reached when
// approvals.slack.apiURL is not set.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Approvals configures who is asked to approve a deployment that waits at
// a PAUSE lifecycle hook, and how (package approvals):
//
//	approvals:
//	  publicURL: https://cutover.example.com   # where people reach this server
//	  slack:
//	    botToken: xoxb-...                     # chat:write
//	    signingSecret: 8f14e45f...             # the Slack app's signing secret
//	    channel: C0123456789                   # or #deploys
//	    approvers: [U0123ABCD, U0456EFGH]      # Slack user IDs allowed to click
//	  links:
//	    - name: teams                          # signed approve / roll back links
//	      url: https://hooks.example.com/cutover
//	      secret: change-me                    # default: signingSecret
//	      ttl: 2h                              # default: until the hook expires
type Approvals struct {
	// PublicURL is the base URL people reach the server at; the links'
	// approve and roll back URLs start with it. Empty: http:// and the
	// server's listen address.
	PublicURL string `json:"publicURL,omitempty"`
	// Slack, when set, posts approval requests to a Slack channel with
	// Approve and Roll back buttons.
	Slack *Slack `json:"slack,omitempty"`
	// Links are webhooks that receive approval requests carrying signed,
	// one-time approve and roll back URLs, for chat tools other than
	// Slack.
	Links []ApprovalLink `json:"links,omitempty"`
}

// Slack is the Slack app that asks for approvals. Its token and signing
// secret are secrets: they are never logged.
type Slack struct {
	// BotToken is the app's bot token (xoxb-…), with the chat:write
	// scope.
	BotToken string `json:"botToken"`
	// SigningSecret verifies the requests Slack sends to
	// /slack/interactions when someone clicks a button.
	SigningSecret string `json:"signingSecret"`
	// Channel is the channel ID (C…) or name (#deploys) the requests
	// are posted to; the bot must be a member.
	Channel string `json:"channel"`
	// Approvers are the Slack user IDs (U… or W…) whose clicks count;
	// anyone else is told they are not allowed.
	Approvers []string `json:"approvers"`
	// APIURL is the Web API's base URL (default DefaultSlackAPIURL).
	APIURL string `json:"apiURL,omitempty"`
}

// String renders the settings without the token and signing secret.
func (s Slack) String() string {
	return fmt.Sprintf("{channel: %s, approvers: %v, apiURL: %s}", s.Channel, s.Approvers, s.APIURL)
}

// LogValue keeps the secrets out of logs.
func (s Slack) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ApprovalLink is a webhook that receives approval requests with signed
// approve and roll back URLs.
type ApprovalLink struct {
	// Name names the link in the audit trail (actor kind "link").
	Name string `json:"name"`
	// URL is where the requests are POSTed.
	URL string `json:"url"`
	// Secret signs the requests and the URLs' tokens; empty: the server's
	// signing secret. It is never logged.
	Secret string `json:"secret,omitempty"`
	// TTL is how long the URLs work; zero: until the hook expires. They
	// never outlive the hook.
	TTL Duration `json:"ttl,omitempty"`
}

// String renders the link without its secret.
func (l ApprovalLink) String() string {
	return fmt.Sprintf("{name: %s, url: %s, ttl: %s}", l.Name, l.URL, time.Duration(l.TTL))
}

// LogValue keeps the secret out of logs.
func (l ApprovalLink) LogValue() slog.Value { return slog.StringValue(l.String()) }

var (
	// slackUserID is the shape of a Slack user ID.
	slackUserID = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	// linkName is what a link's name may contain: it appears in URLs'
	// tokens and in the audit trail.
	linkName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// validate checks the approvals section and fills in its defaults.
func (a *Approvals) validate() error {
	if a.PublicURL != "" {
		u, err := url.Parse(a.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("approvals.publicURL %q is not an http(s) base URL such as https://cutover.example.com", a.PublicURL)
		}
		a.PublicURL = strings.TrimSuffix(a.PublicURL, "/")
	}
	if s := a.Slack; s != nil {
		if err := s.validate(); err != nil {
			return err
		}
	}
	names := map[string]bool{}
	for i, l := range a.Links {
		if !linkName.MatchString(l.Name) {
			return fmt.Errorf("approvals.links[%d]: name %q must be 1 to 64 letters, digits, '.', '_' or '-'", i, l.Name)
		}
		if names[l.Name] {
			return fmt.Errorf("approvals.links[%d]: another link is named %q", i, l.Name)
		}
		names[l.Name] = true
		if u, err := url.Parse(l.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("approvals.links[%d] (%s): url %q is not an http(s) URL", i, l.Name, l.URL)
		}
	}
	return nil
}

// validate checks the Slack settings and fills in the API URL.
func (s *Slack) validate() error {
	switch {
	case s.BotToken == "":
		return fmt.Errorf("approvals.slack.botToken is required (the app's bot token, xoxb-…)")
	case s.SigningSecret == "":
		return fmt.Errorf("approvals.slack.signingSecret is required (Basic Information → App Credentials in the Slack app's settings)")
	case s.Channel == "":
		return fmt.Errorf("approvals.slack.channel is required (a channel ID such as C0123456789, or #name)")
	case len(s.Approvers) == 0:
		return fmt.Errorf("approvals.slack.approvers is empty: nobody could approve; list the Slack user IDs allowed to")
	}
	for i, id := range s.Approvers {
		if !slackUserID.MatchString(id) {
			return fmt.Errorf("approvals.slack.approvers[%d] %q is not a Slack user ID such as U012AB3CD (profile → ⋮ → Copy member ID)", i, id)
		}
	}
	if s.APIURL == "" {
		s.APIURL = DefaultSlackAPIURL
	}
	u, err := url.Parse(s.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("approvals.slack.apiURL %q is not an http(s) URL", s.APIURL)
	}
	if !strings.HasSuffix(s.APIURL, "/") {
		s.APIURL += "/"
	}
	return nil
}
