package approvals

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// A link token is base64url(claims JSON) "." base64url(HMAC-SHA256 of
// the claims JSON), keyed with the link's token key. It says which hook
// of which deployment to answer how, until when, and carries a random
// nonce that is recorded when the token is used: the approve and roll
// back tokens of one hook share it, so once either is used both are dead.

// claims are what a token carries.
type claims struct {
	// Link names the link the token was sent to: its key signs it.
	Link       string                            `json:"l"`
	Deployment string                            `json:"d"`
	Hook       string                            `json:"h"`
	Action     ecs.DeploymentLifecycleHookAction `json:"a"`
	// Expires is when the token stops working, in Unix seconds.
	Expires int64  `json:"e"`
	Nonce   string `json:"n"`
}

// expires is the claims' expiry as a time.
func (c *claims) expires() time.Time { return time.Unix(c.Expires, 0) }

// tokenKeyLabel derives the tokens' key from a link's secret, so that
// the key signing tokens never signs anything else.
const tokenKeyLabel = "cutover approval link tokens v1"

// tokenKey derives the key of a link's tokens from its secret.
func tokenKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenKeyLabel))
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// sign returns the token of c under key.
func sign(key []byte, c *claims) string {
	payload, _ := json.Marshal(c) // strings and a number: cannot fail
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(mac(key, payload))
}

func mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)
}

// parseToken splits a token and decodes its claims; it does not check
// the signature. Anything malformed is errForged.
func parseToken(tok string) (c *claims, payload, sig []byte, err error) {
	p, s, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return nil, nil, nil, fmt.Errorf("%w: not a token", errForged)
	}
	if payload, err = b64.DecodeString(p); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: claims: %v", errForged, err)
	}
	if sig, err = b64.DecodeString(s); err != nil || len(sig) != sha256.Size {
		return nil, nil, nil, fmt.Errorf("%w: signature is not an HMAC-SHA256", errForged)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	c = new(claims)
	if err := dec.Decode(c); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: claims: %v", errForged, err)
	}
	return c, payload, sig, nil
}

// verify checks a token with the key of the link it names, as of now.
// A token that does not verify is errForged; a genuine one past its
// expiry is errExpired, returned with its claims. Whether it was used is
// for the caller to check.
func verify(tok string, keys func(link string) []byte, now time.Time) (*claims, error) {
	c, payload, sig, err := parseToken(tok)
	if err != nil {
		return nil, err
	}
	key := keys(c.Link)
	if key == nil {
		return nil, fmt.Errorf("%w: no link is named %q", errForged, c.Link)
	}
	if !hmac.Equal(sig, mac(key, payload)) {
		return nil, fmt.Errorf("%w: the signature does not match", errForged)
	}
	if c.Deployment == "" || c.Hook == "" || c.Nonce == "" ||
		(c.Action != ecs.DeploymentLifecycleHookActionContinue && c.Action != ecs.DeploymentLifecycleHookActionRollback) {
		return nil, fmt.Errorf("%w: incomplete claims", errForged)
	}
	if !now.Before(c.expires()) {
		return c, fmt.Errorf("%w at %s", errExpired, clock(c.expires()))
	}
	return c, nil
}
