package lb

import "time"

// Config is the whole routing configuration of the load balancer data
// plane: what the control plane pushes, what the data plane keeps on disk
// and serves from. It is plain data (JSON) so that it crosses the process
// boundary between `cutover server` and `cutover lb` unchanged.
type Config struct {
	// Version increases with every configuration the control plane makes.
	Version      uint64        `json:"version"`
	Listeners    []Listener    `json:"listeners"`
	TargetGroups []TargetGroup `json:"targetGroups"`
}

// Listener is a port the load balancer accepts connections on.
type Listener struct {
	ARN string `json:"arn"`
	// Address is the host:port to bind, e.g. "127.0.0.1:8080".
	Address string `json:"address"`
	// Protocol is "HTTP" or "HTTPS".
	Protocol string `json:"protocol"`
	// TLS is an HTTPS listener's certificate and security policy; nil
	// for HTTP.
	TLS *ListenerTLS `json:"tls,omitempty"`
	// Rules are evaluated by ascending Priority; the first whose
	// conditions all match decides. DefaultActions apply when none does.
	Rules          []Rule   `json:"rules,omitempty"`
	DefaultActions []Action `json:"defaultActions"`
}

// ListenerTLS is how an HTTPS listener serves TLS. The data plane reads
// the certificate files itself and reloads them when they are replaced
// (package certs).
type ListenerTLS struct {
	// CertificateARN is the listener's default certificate as the ELBv2
	// API names it.
	CertificateARN string `json:"certificateArn,omitempty"`
	// CertFile and KeyFile are the certificate's PEM files, as the
	// control plane's configuration names them; both are empty when it
	// does not know the certificate, and the listener's handshakes fail.
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
	// SSLPolicy is an ELBv2 security policy name (SSLPolicies); empty
	// means DefaultSSLPolicy.
	SSLPolicy string `json:"sslPolicy,omitempty"`
}

// Rule routes the requests that match all its conditions.
type Rule struct {
	ARN        string      `json:"arn"`
	Priority   int         `json:"priority"`
	Conditions []Condition `json:"conditions"`
	Actions    []Action    `json:"actions"`
}

// Condition fields, as ELBv2 spells them.
const (
	FieldPathPattern       = "path-pattern"
	FieldHostHeader        = "host-header"
	FieldHTTPHeader        = "http-header"
	FieldQueryString       = "query-string"
	FieldHTTPRequestMethod = "http-request-method"
)

// Condition is one rule condition. Values are ELBv2 patterns: '*'
// matches any run of characters and '?' exactly one; host and path
// patterns are case-insensitive and case-sensitive respectively, as in
// ELBv2. A condition matches when any of its values matches.
type Condition struct {
	Field  string   `json:"field"`
	Values []string `json:"values,omitempty"`
	// HeaderName is the header an http-header condition looks at.
	HeaderName string `json:"headerName,omitempty"`
	// QueryStrings are the key/value patterns of a query-string
	// condition; an empty Key matches any key.
	QueryStrings []KeyValue `json:"queryStrings,omitempty"`
}

// KeyValue is a query-string pattern pair.
type KeyValue struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value"`
}

// Action types, as ELBv2 spells them.
const (
	ActionForward       = "forward"
	ActionFixedResponse = "fixed-response"
)

// Action is what a matching rule does.
type Action struct {
	Type string `json:"type"`
	// TargetGroups of a forward action, with integer weights 0–999; a
	// request goes to one of them with probability weight/sum.
	TargetGroups  []WeightedTargetGroup `json:"targetGroups,omitempty"`
	FixedResponse *FixedResponse        `json:"fixedResponse,omitempty"`
}

// WeightedTargetGroup is a target group in a forward action.
type WeightedTargetGroup struct {
	ARN    string `json:"arn"`
	Weight int    `json:"weight"`
}

// FixedResponse is the answer of a fixed-response action.
type FixedResponse struct {
	StatusCode  int    `json:"statusCode"`
	ContentType string `json:"contentType,omitempty"`
	MessageBody string `json:"messageBody,omitempty"`
}

// TargetGroup is a set of targets with their health check.
type TargetGroup struct {
	ARN      string `json:"arn"`
	Protocol string `json:"protocol"`
	// ProtocolVersion is HTTP1 (default) or HTTP2 (h2c to the targets).
	ProtocolVersion string      `json:"protocolVersion,omitempty"`
	HealthCheck     HealthCheck `json:"healthCheck"`
	// DeregistrationDelay is how long a removed target keeps serving its
	// in-flight requests (state draining) before it is dropped.
	DeregistrationDelay time.Duration `json:"deregistrationDelay"`
	Targets             []Target      `json:"targets,omitempty"`
}

// HealthCheck is a target group's active HTTP health check.
type HealthCheck struct {
	Enabled bool   `json:"enabled"`
	Path    string `json:"path"`
	// Port is 0 for the target's own (traffic) port.
	Port               int           `json:"port,omitempty"`
	Interval           time.Duration `json:"interval"`
	Timeout            time.Duration `json:"timeout"`
	HealthyThreshold   int           `json:"healthyThreshold"`
	UnhealthyThreshold int           `json:"unhealthyThreshold"`
	// Matcher lists the HTTP codes that count as healthy: "200",
	// "200-299", "200,302".
	Matcher string `json:"matcher"`
}

// Target is one backend: an IP address or host name and a port.
type Target struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

// Target health states, as ELBv2 spells them.
const (
	StateInitial   = "initial"
	StateHealthy   = "healthy"
	StateUnhealthy = "unhealthy"
	StateDraining  = "draining"
	StateUnused    = "unused"
)

// TargetHealth is the observed state of one target of a target group.
type TargetHealth struct {
	TargetGroupARN string `json:"targetGroupArn"`
	Target         Target `json:"target"`
	State          string `json:"state"`
	// Reason and Description explain a state other than healthy, with
	// ELBv2's reason codes (e.g. Target.FailedHealthChecks,
	// Elb.RegistrationInProgress, Target.DeregistrationInProgress,
	// Target.NotInUse).
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
}
