// Package audit says who is acting: the actor of a request travels in
// its context from the endpoint that authenticated it (an API access
// key, a dashboard session, a Slack user, a signed approval link) to the
// operation that records it in the audit trail.
package audit

import (
	"context"
	"net"
	"net/http"
	"strings"
)

// Kinds of actor.
const (
	// KindAccessKey is an API client, named by its SigV4 access key ID.
	KindAccessKey = "accessKey"
	// KindDashboard is a user of the web dashboard.
	KindDashboard = "dashboard"
	// KindSlack is a Slack user who clicked a button.
	KindSlack = "slack"
	// KindLink is whoever opened a signed approval link.
	KindLink = "link"
	// KindAnonymous is an unsigned API request.
	KindAnonymous = "anonymous"
	// KindCutover is cutover itself (timeouts, alarms, the breaker).
	KindCutover = "cutover"
)

// Actor is who performed an action.
type Actor struct {
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// ID identifies the actor within its kind: an access key ID, a
	// dashboard user's access key ID, a Slack user ID, a link's channel.
	ID string `json:"id,omitempty"`
	// Name is a readable name when one is known: the access key's name,
	// the Slack user name.
	Name string `json:"name,omitempty"`
	// Address is the client's network address, when it came over HTTP.
	Address string `json:"address,omitempty"`
}

// String renders the actor for people: "alice (accessKey AKIA…)".
func (a Actor) String() string {
	id := a.Kind
	if a.ID != "" {
		id += " " + a.ID
	}
	if a.Name != "" && a.Name != a.ID {
		return a.Name + " (" + id + ")"
	}
	return id
}

// Authenticator names the actor of an API request from the request and
// its body (already read), or refuses it: a signature error that the
// API answers in its protocol. Package server provides the real one.
type Authenticator func(r *http.Request, body []byte) (Actor, error)

type ctxKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// ActorFrom returns the actor ctx carries, or an anonymous one.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(ctxKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: KindAnonymous}
}

// FromRequest returns the actor of an API request: the access key ID of
// its SigV4 credential, or anonymous. It does not check the signature;
// the endpoint that verifies signatures names the key's owner.
func FromRequest(r *http.Request) Actor {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	auth := r.Header.Get("Authorization")
	if _, rest, ok := strings.Cut(auth, "Credential="); ok && strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		if id, _, ok := strings.Cut(rest, "/"); ok && id != "" {
			return Actor{Kind: KindAccessKey, ID: id, Address: addr}
		}
	}
	return Actor{Kind: KindAnonymous, Address: addr}
}
