package lb

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits from ELBv2 that validation enforces.
const (
	maxPatternLen      = 128
	maxFixedBodyLen    = 1024
	maxWeight          = 999
	minPriority        = 1
	maxPriority        = 50000
	maxHealthThreshold = 10
)

// validate checks everything about cfg that can be checked without
// binding a port. Its errors wrap ErrInvalidConfig.
func validate(cfg Config) error {
	if err := validateConfig(cfg); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

func validateConfig(cfg Config) error {
	groups := make(map[string]bool, len(cfg.TargetGroups))
	for i, tg := range cfg.TargetGroups {
		if tg.ARN == "" {
			return fmt.Errorf("targetGroups[%d]: arn is empty", i)
		}
		if groups[tg.ARN] {
			return fmt.Errorf("target group %q: listed twice", tg.ARN)
		}
		groups[tg.ARN] = true
		if err := validateTargetGroup(tg); err != nil {
			return fmt.Errorf("target group %q: %w", tg.ARN, err)
		}
	}
	addrs := make(map[string]bool, len(cfg.Listeners))
	arns := make(map[string]bool, len(cfg.Listeners))
	for i, l := range cfg.Listeners {
		name := l.ARN
		if name == "" {
			return fmt.Errorf("listeners[%d]: arn is empty", i)
		}
		if arns[name] {
			return fmt.Errorf("listener %q: listed twice", name)
		}
		arns[name] = true
		if err := validateAddress(l.Address); err != nil {
			return fmt.Errorf("listener %q: %w", name, err)
		}
		if addrs[l.Address] {
			return fmt.Errorf("listener %q: address %q is used by another listener", name, l.Address)
		}
		addrs[l.Address] = true
		if err := validateListener(l, groups); err != nil {
			return fmt.Errorf("listener %q: %w", name, err)
		}
	}
	return nil
}

func validateAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return fmt.Errorf("address %q: bad host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("address %q: bad port", addr)
	}
	return nil
}

func validateListener(l Listener, groups map[string]bool) error {
	if err := validateListenerTLS(l); err != nil {
		return err
	}
	if err := validateActions(l.DefaultActions, groups); err != nil {
		return fmt.Errorf("default actions: %w", err)
	}
	prios := make(map[int]bool, len(l.Rules))
	for _, r := range l.Rules {
		if r.Priority < minPriority || r.Priority > maxPriority {
			return fmt.Errorf("rule %q: priority %d is outside %d–%d", r.ARN, r.Priority, minPriority, maxPriority)
		}
		if prios[r.Priority] {
			return fmt.Errorf("rule %q: priority %d is used by another rule", r.ARN, r.Priority)
		}
		prios[r.Priority] = true
		if len(r.Conditions) == 0 {
			return fmt.Errorf("rule %q: no conditions", r.ARN)
		}
		for _, c := range r.Conditions {
			if err := validateCondition(c); err != nil {
				return fmt.Errorf("rule %q: condition %s: %w", r.ARN, c.Field, err)
			}
		}
		if err := validateActions(r.Actions, groups); err != nil {
			return fmt.Errorf("rule %q: %w", r.ARN, err)
		}
	}
	return nil
}

func validateCondition(c Condition) error {
	switch c.Field {
	case FieldPathPattern, FieldHostHeader, FieldHTTPRequestMethod:
		if len(c.QueryStrings) > 0 || c.HeaderName != "" {
			return fmt.Errorf("only values are allowed")
		}
	case FieldHTTPHeader:
		if !validHeaderName(c.HeaderName) {
			return fmt.Errorf("bad header name %q", c.HeaderName)
		}
		if len(c.QueryStrings) > 0 {
			return fmt.Errorf("query strings are not allowed")
		}
	case FieldQueryString:
		if len(c.Values) > 0 || c.HeaderName != "" {
			return fmt.Errorf("only query strings are allowed")
		}
		if len(c.QueryStrings) == 0 {
			return fmt.Errorf("no query strings")
		}
		for _, kv := range c.QueryStrings {
			if kv.Value == "" || len(kv.Value) > maxPatternLen || len(kv.Key) > maxPatternLen ||
				!utf8.ValidString(kv.Key) || !utf8.ValidString(kv.Value) {
				return fmt.Errorf("query string %q=%q: value must be 1–%d characters of UTF-8", kv.Key, kv.Value, maxPatternLen)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown field")
	}
	if len(c.Values) == 0 {
		return fmt.Errorf("no values")
	}
	for _, v := range c.Values {
		if v == "" || len(v) > maxPatternLen || !utf8.ValidString(v) {
			return fmt.Errorf("value %q must be 1–%d characters of UTF-8", v, maxPatternLen)
		}
		if c.Field == FieldHTTPRequestMethod && !validMethod(v) {
			return fmt.Errorf("bad method %q (A-Z, '-' and '_' only)", v)
		}
	}
	return nil
}

func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		if c := m[i]; !('A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validHeaderName(h string) bool {
	if h == "" || len(h) > 40 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func validateActions(actions []Action, groups map[string]bool) error {
	if len(actions) != 1 {
		return fmt.Errorf("exactly one action is needed, got %d", len(actions))
	}
	a := actions[0]
	switch a.Type {
	case ActionForward:
		if a.FixedResponse != nil {
			return fmt.Errorf("forward action has a fixed response")
		}
		if len(a.TargetGroups) == 0 {
			return fmt.Errorf("forward action has no target group")
		}
		seen := make(map[string]bool, len(a.TargetGroups))
		for _, wg := range a.TargetGroups {
			if !groups[wg.ARN] {
				return fmt.Errorf("forward action: target group %q is not defined", wg.ARN)
			}
			if seen[wg.ARN] {
				return fmt.Errorf("forward action: target group %q listed twice", wg.ARN)
			}
			seen[wg.ARN] = true
			if wg.Weight < 0 || wg.Weight > maxWeight {
				return fmt.Errorf("forward action: target group %q: weight %d is outside 0–%d", wg.ARN, wg.Weight, maxWeight)
			}
		}
	case ActionFixedResponse:
		fr := a.FixedResponse
		if fr == nil || len(a.TargetGroups) > 0 {
			return fmt.Errorf("fixed-response action needs a fixed response and no target group")
		}
		if fr.StatusCode < 200 || fr.StatusCode > 599 {
			return fmt.Errorf("fixed-response status code %d is outside 200–599", fr.StatusCode)
		}
		if len(fr.MessageBody) > maxFixedBodyLen {
			return fmt.Errorf("fixed-response body is longer than %d bytes", maxFixedBodyLen)
		}
		if strings.ContainsAny(fr.ContentType, "\r\n") {
			return fmt.Errorf("bad fixed-response content type %q", fr.ContentType)
		}
	default:
		return fmt.Errorf("action type %q is not supported", a.Type)
	}
	return nil
}

func validateTargetGroup(tg TargetGroup) error {
	if tg.Protocol != "" && tg.Protocol != "HTTP" {
		return fmt.Errorf("protocol %q is not supported (HTTP only)", tg.Protocol)
	}
	switch tg.ProtocolVersion {
	case "", "HTTP1", "HTTP2":
	default:
		return fmt.Errorf("protocol version %q is not supported (HTTP1 or HTTP2)", tg.ProtocolVersion)
	}
	if tg.DeregistrationDelay < 0 {
		return fmt.Errorf("deregistration delay %v is negative", tg.DeregistrationDelay)
	}
	if _, err := compileHealthCheck(tg.HealthCheck); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	seen := make(map[Target]bool, len(tg.Targets))
	for _, t := range tg.Targets {
		if t.Host == "" || strings.ContainsAny(t.Host, " /?#@") {
			return fmt.Errorf("target %q: bad host", t.Host)
		}
		if t.Port < 1 || t.Port > 65535 {
			return fmt.Errorf("target %s: port %d is outside 1–65535", t.Host, t.Port)
		}
		if seen[t] {
			return fmt.Errorf("target %s:%d: registered twice", t.Host, t.Port)
		}
		seen[t] = true
	}
	return nil
}
