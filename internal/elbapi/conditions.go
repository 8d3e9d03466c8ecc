package elbapi

import (
	"regexp"
	"slices"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
)

// Bounds of rule conditions, as in ELBv2.
const (
	maxConditionValues = 5
	maxConditionLen    = 128
	maxHeaderNameLen   = 40
)

var (
	// methodName matches an http-request-method value.
	methodName = regexp.MustCompile(`^[A-Z_-]{1,40}$`)
	// headerName matches an HTTP header name (a token).
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// checkConditions validates the conditions of a rule and returns them as
// ELBv2 shows them. cutover matches path-pattern, host-header,
// http-header, query-string and http-request-method; path-pattern and
// host-header take the legacy Values or their *Config (both only when they
// agree) and are shown with both. A rule has at least one condition, at
// most one path-pattern, host-header and http-request-method condition,
// and at most five condition values in all.
func checkConditions(conds []elbv2.RuleCondition) ([]elbv2.RuleCondition, error) {
	if len(conds) == 0 {
		return nil, validation("A rule must have at least one condition.")
	}
	out := make([]elbv2.RuleCondition, 0, len(conds))
	seen := map[string]bool{}
	total := 0
	for _, c := range conds {
		if len(c.RegexValues) > 0 || c.SourceIpConfig != nil {
			return nil, apiErr(errInvalidConfiguration, "cutover does not support regex or source-ip conditions.")
		}
		var (
			norm elbv2.RuleCondition
			n    int
			err  error
		)
		switch c.Field {
		case lb.FieldPathPattern, lb.FieldHostHeader:
			norm, n, err = patternCondition(c)
		case lb.FieldHTTPHeader:
			norm, n, err = headerCondition(c)
		case lb.FieldQueryString:
			norm, n, err = queryCondition(c)
		case lb.FieldHTTPRequestMethod:
			norm, n, err = methodCondition(c)
		case "source-ip":
			return nil, apiErr(errInvalidConfiguration, "cutover does not support source-ip conditions.")
		case "":
			return nil, validation("A condition must have a Field.")
		default:
			return nil, validation("The condition field '%s' is not valid.", c.Field)
		}
		if err != nil {
			return nil, err
		}
		if c.Field != lb.FieldHTTPHeader && c.Field != lb.FieldQueryString {
			if seen[c.Field] {
				return nil, validation("A rule can have only one '%s' condition.", c.Field)
			}
			seen[c.Field] = true
		}
		total += n
		out = append(out, norm)
	}
	if total > maxConditionValues {
		return nil, validation("A rule can have at most %d condition values; %d were given.", maxConditionValues, total)
	}
	return out, nil
}

// checkValues validates the values of one condition.
func checkValues(field string, vals []string) error {
	if len(vals) == 0 {
		return validation("The '%s' condition must have at least one value.", field)
	}
	for _, v := range vals {
		if v == "" || len(v) > maxConditionLen {
			return validation("The '%s' condition value '%s' is not valid: values have 1 to %d characters.", field, v, maxConditionLen)
		}
	}
	return nil
}

// patternCondition handles path-pattern and host-header.
func patternCondition(c elbv2.RuleCondition) (elbv2.RuleCondition, int, error) {
	var cfg []string
	other := false
	if c.Field == lb.FieldPathPattern {
		if c.PathPatternConfig != nil {
			cfg = c.PathPatternConfig.Values
		}
		other = c.HostHeaderConfig != nil
	} else {
		if c.HostHeaderConfig != nil {
			cfg = c.HostHeaderConfig.Values
		}
		other = c.PathPatternConfig != nil
	}
	if other || c.HttpHeaderConfig != nil || c.QueryStringConfig != nil || c.HttpRequestMethodConfig != nil {
		return elbv2.RuleCondition{}, 0, validation("The '%s' condition has the configuration of another field.", c.Field)
	}
	vals := c.Values
	switch {
	case len(vals) == 0:
		vals = cfg
	case len(cfg) > 0 && !slices.Equal(vals, cfg):
		return elbv2.RuleCondition{}, 0, validation("The '%s' condition has both Values and a configuration, and they differ.", c.Field)
	}
	if err := checkValues(c.Field, vals); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	out := elbv2.RuleCondition{Field: c.Field, Values: slices.Clone(vals)}
	if c.Field == lb.FieldPathPattern {
		out.PathPatternConfig = &elbv2.PathPatternConditionConfig{Values: slices.Clone(vals)}
	} else {
		out.HostHeaderConfig = &elbv2.HostHeaderConditionConfig{Values: slices.Clone(vals)}
	}
	return out, len(vals), nil
}

// onlyConfig refuses legacy Values for fields that take a configuration.
func onlyConfig(c elbv2.RuleCondition, present bool) error {
	if len(c.Values) > 0 {
		return validation("The '%s' condition takes its values in its configuration, not in Values.", c.Field)
	}
	if !present {
		return validation("The '%s' condition must have its configuration.", c.Field)
	}
	return nil
}

// headerCondition handles http-header.
func headerCondition(c elbv2.RuleCondition) (elbv2.RuleCondition, int, error) {
	if err := onlyConfig(c, c.HttpHeaderConfig != nil); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	h := c.HttpHeaderConfig
	if len(h.HttpHeaderName) > maxHeaderNameLen || !headerName.MatchString(h.HttpHeaderName) {
		return elbv2.RuleCondition{}, 0, validation("The HTTP header name '%s' is not valid.", h.HttpHeaderName)
	}
	if err := checkValues(c.Field, h.Values); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	return elbv2.RuleCondition{Field: c.Field, HttpHeaderConfig: &elbv2.HttpHeaderConditionConfig{
		HttpHeaderName: h.HttpHeaderName, Values: slices.Clone(h.Values),
	}}, len(h.Values), nil
}

// queryCondition handles query-string.
func queryCondition(c elbv2.RuleCondition) (elbv2.RuleCondition, int, error) {
	if err := onlyConfig(c, c.QueryStringConfig != nil); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	pairs := c.QueryStringConfig.Values
	if len(pairs) == 0 {
		return elbv2.RuleCondition{}, 0, validation("The 'query-string' condition must have at least one value.")
	}
	for _, kv := range pairs {
		if kv.Value == "" || len(kv.Value) > maxConditionLen || len(kv.Key) > maxConditionLen {
			return elbv2.RuleCondition{}, 0, validation("The query-string pair '%s=%s' is not valid: the value has 1 to %d characters.", kv.Key, kv.Value, maxConditionLen)
		}
	}
	return elbv2.RuleCondition{Field: c.Field, QueryStringConfig: &elbv2.QueryStringConditionConfig{
		Values: slices.Clone(pairs),
	}}, len(pairs), nil
}

// methodCondition handles http-request-method.
func methodCondition(c elbv2.RuleCondition) (elbv2.RuleCondition, int, error) {
	if err := onlyConfig(c, c.HttpRequestMethodConfig != nil); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	vals := c.HttpRequestMethodConfig.Values
	if err := checkValues(c.Field, vals); err != nil {
		return elbv2.RuleCondition{}, 0, err
	}
	for _, v := range vals {
		if !methodName.MatchString(v) {
			return elbv2.RuleCondition{}, 0, validation("The HTTP request method '%s' is not valid: use upper-case letters, '-' and '_'.", v)
		}
	}
	return elbv2.RuleCondition{Field: c.Field, HttpRequestMethodConfig: &elbv2.HttpRequestMethodConditionConfig{
		Values: slices.Clone(vals),
	}}, len(vals), nil
}
