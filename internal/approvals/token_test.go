package approvals

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func TestTokens(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	key, other := tokenKey([]byte("link-secret")), tokenKey([]byte("another-secret"))
	keys := func(link string) []byte {
		if link == "teams" {
			return key
		}
		return nil
	}
	good := claims{
		Link: "teams", Deployment: "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/abc", Hook: hookA,
		Action: ecs.DeploymentLifecycleHookActionContinue, Expires: now.Add(time.Hour).Unix(), Nonce: "N0NCE",
	}
	with := func(f func(c *claims)) claims { c := good; f(&c); return c }
	tok := sign(key, &good)
	payload, sig, _ := strings.Cut(tok, ".")
	// resign puts other claims under the signature of the good ones.
	resign := func(c claims) string { b, _ := json.Marshal(c); return b64.EncodeToString(b) + "." + sig }

	c, err := verify(tok, keys, now)
	if err != nil || *c != good {
		t.Fatalf("verify(sign(c)) = %+v, %v; want %+v", c, err, good)
	}
	cases := map[string]struct {
		tok  string
		at   time.Time
		want error
	}{
		"action changed":            {resign(with(func(c *claims) { c.Action = ecs.DeploymentLifecycleHookActionRollback })), now, errForged},
		"expiry extended":           {resign(with(func(c *claims) { c.Expires += 86400 })), now, errForged},
		"other deployment":          {resign(with(func(c *claims) { c.Deployment += "x" })), now, errForged},
		"signed with another key":   {sign(other, &good), now, errForged},
		"unknown link":              {sign(key, ptr(with(func(c *claims) { c.Link = "slack" }))), now, errForged},
		"truncated":                 {tok[:len(tok)-5], now, errForged},
		"no signature":              {payload, now, errForged},
		"empty":                     {"", now, errForged},
		"garbage":                   {"not a token.at all", now, errForged},
		"signature lengthened":      {sign(key, ptr(good)) + "x", now, errForged},
		"signed nonsense action":    {sign(key, ptr(with(func(c *claims) { c.Action = "DEPLOY" }))), now, errForged},
		"signed without nonce":      {sign(key, ptr(with(func(c *claims) { c.Nonce = "" }))), now, errForged},
		"expired":                   {tok, now.Add(time.Hour), errExpired},
		"long expired":              {tok, now.Add(30 * 24 * time.Hour), errExpired},
		"valid one second before":   {tok, now.Add(time.Hour - time.Second), nil},
		"valid before it was made?": {tok, now.Add(-time.Hour), nil},
	}
	for name, tc := range cases {
		c, err := verify(tc.tok, keys, tc.at)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if errors.Is(err, errExpired) && (c == nil || *c != good) {
			t.Errorf("%s: an expired token's claims are %+v, want them for the page", name, c)
		}
	}
	// A payload with an extra field is refused even when signed: the
	// claims are exactly what sign writes.
	b, _ := json.Marshal(map[string]any{"l": "teams", "d": good.Deployment, "h": hookA, "a": "CONTINUE", "e": good.Expires, "n": "N", "admin": true})
	if _, err := verify(b64.EncodeToString(b)+"."+b64.EncodeToString(mac(key, b)), keys, now); !errors.Is(err, errForged) {
		t.Errorf("extra claim: %v, want errForged", err)
	}
}

func ptr[T any](v T) *T { return &v }
