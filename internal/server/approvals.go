package server

import (
	"log/slog"
	"net"
	"time"

	"github.com/cutover/cutover/internal/approvals"
	"github.com/cutover/cutover/internal/config"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/events"
	"github.com/cutover/cutover/internal/store"
)

var _ approvals.API = (*ecsapi.API)(nil)

// approvalFlows are the routes and event sinks of the approval flows.
type approvalFlows struct {
	routes []route
	sinks  []events.Sink
}

// newApprovals builds the approval flows the config file's approvals
// section asks for (none without one): Slack messages with buttons and
// signed link webhooks, acting through api. Links are signed with their
// own secret or the server's.
func newApprovals(cfg Config, file *config.Config, api *ecsapi.API, st store.Store, secret []byte, log *slog.Logger) (*approvalFlows, error) {
	c := file.Approvals
	if c.Slack == nil && len(c.Links) == 0 {
		return &approvalFlows{}, nil
	}
	ac := approvals.Config{API: api, Store: st, PublicURL: publicURL(c.PublicURL, cfg.Listen, file.TLS.API != nil), Logger: log}
	if s := c.Slack; s != nil {
		ac.Slack = &approvals.Slack{
			BotToken: s.BotToken, SigningSecret: s.SigningSecret, Channel: s.Channel,
			Approvers: s.Approvers, APIURL: s.APIURL,
		}
	}
	for _, l := range c.Links {
		link := approvals.Link{Name: l.Name, URL: l.URL, Secret: secret, TTL: time.Duration(l.TTL)}
		if l.Secret != "" {
			link.Secret = []byte(l.Secret)
		}
		ac.Links = append(ac.Links, link)
	}
	a, err := approvals.New(ac)
	if err != nil {
		return nil, err
	}
	flows := &approvalFlows{sinks: a.Sinks()}
	for _, r := range a.Routes() {
		flows.routes = append(flows.routes, route{prefix: r.Prefix, h: r.Handler})
	}
	log.Info("approvals enabled", "slack", c.Slack != nil, "links", len(c.Links), "publicURL", ac.PublicURL)
	return flows, nil
}

// publicURL is the configured public URL, or the API's scheme (https
// when it serves TLS) and listen address, an unspecified host being
// localhost.
func publicURL(configured, listen string, tls bool) string {
	if configured != "" {
		return configured
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return scheme + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port)
}
