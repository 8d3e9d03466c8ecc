package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSignInRequiredWithKeys(t *testing.T) {
	f := newFixture(t, true)
	b := newBrowser(t, f.d)

	// The page, its assets and the session endpoint need no sign-in.
	for _, p := range []string{"/ui/", "/ui/assets/app.js", "/ui/assets/app.css"} {
		if resp := b.do(http.MethodGet, p, "", nil); resp.code != http.StatusOK {
			t.Errorf("GET %s without a session: %d", p, resp.code)
		}
	}
	s := b.session()
	if s.json["signInRequired"] != true || s.json["signedIn"] != false || b.token == "" {
		t.Errorf("session before signing in: %s", s.body)
	}
	// Everything else does, even with a valid CSRF token.
	wantError(t, "call", b.call(ecsTarget+"ListClusters", `{}`), http.StatusUnauthorized, "MissingAuthenticationTokenException")
	wantError(t, "events", b.do(http.MethodGet, "/ui/api/events", "", nil), http.StatusUnauthorized, "MissingAuthenticationTokenException")
	wantError(t, "metrics", b.do(http.MethodGet, "/ui/api/metrics?targetGroupArn=x", "", nil), http.StatusUnauthorized, "MissingAuthenticationTokenException")

	// A forged session cookie is no session.
	b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: "forged"}
	wantError(t, "forged session", b.call(ecsTarget+"ListClusters", `{}`), http.StatusUnauthorized, "MissingAuthenticationTokenException")
}

func TestSignIn(t *testing.T) {
	f := newFixture(t, true)
	b := newBrowser(t, f.d)
	b.session()

	wantError(t, "wrong secret", b.signIn(testKeyID, "not-the-secret-at-all"), http.StatusUnauthorized, "UnrecognizedClientException")
	wantError(t, "unknown key", b.signIn("AKIAUNKNOWNKEY00000", testSecret), http.StatusUnauthorized, "UnrecognizedClientException")
	wantError(t, "no secret", b.signIn(testKeyID, ""), http.StatusBadRequest, "InvalidParameterException")
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Fatal("a failed sign-in set a session cookie")
	}

	resp := b.signIn(testKeyID, testSecret)
	if resp.code != http.StatusOK || resp.json["signedIn"] != true {
		t.Fatalf("sign-in: %d %s", resp.code, resp.body)
	}
	if strings.Contains(resp.body, testSecret) {
		t.Error("the sign-in answer contains the secret")
	}
	c := b.cookies[sessionCookie]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != Path || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=%s, not Secure over plain HTTP", c, Path)
	}
	user, _ := resp.json["user"].(map[string]any)
	if user["name"] != testName || user["id"] != testKeyID || user["kind"] != "dashboard" {
		t.Errorf("signed-in user %v", user)
	}
	if s := b.session(); s.json["signedIn"] != true {
		t.Errorf("session after signing in: %s", s.body)
	}
	if resp := b.call(ecsTarget+"ListClusters", `{}`); resp.code != http.StatusOK {
		t.Fatalf("call after signing in: %d %s", resp.code, resp.body)
	}

	// Sign-out ends the session on the server, not only in the browser.
	id := c.Value
	if resp := b.do(http.MethodPost, "/ui/api/signout", "{}", nil); resp.code != http.StatusOK {
		t.Fatalf("sign-out: %d %s", resp.code, resp.body)
	}
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Error("sign-out left the session cookie")
	}
	b.cookies[sessionCookie] = &http.Cookie{Name: sessionCookie, Value: id}
	wantError(t, "call with the ended session", b.call(ecsTarget+"ListClusters", `{}`), http.StatusUnauthorized, "MissingAuthenticationTokenException")
}

func TestSessionsExpire(t *testing.T) {
	f := newFixture(t, true)
	b := newBrowser(t, f.d)
	b.session()
	if resp := b.signIn(testKeyID, testSecret); resp.code != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.code, resp.body)
	}
	f.clock.Advance(DefaultSessionTTL - time.Second)
	if resp := b.call(ecsTarget+"ListClusters", `{}`); resp.code != http.StatusOK {
		t.Fatalf("call just before the session expires: %d %s", resp.code, resp.body)
	}
	f.clock.Advance(time.Second)
	wantError(t, "call once the session expired", b.call(ecsTarget+"ListClusters", `{}`), http.StatusUnauthorized, "MissingAuthenticationTokenException")
}

func TestSignInRateLimit(t *testing.T) {
	f := newFixture(t, true)
	b := newBrowser(t, f.d)
	b.session()
	for range signInFailures {
		wantError(t, "wrong secret", b.signIn(testKeyID, "wrong-secret-wrong-secret"), http.StatusUnauthorized, "UnrecognizedClientException")
	}
	// Now even the right secret is refused from that address…
	resp := b.signIn(testKeyID, testSecret)
	wantError(t, "sign-in after too many failures", resp, http.StatusTooManyRequests, "ThrottlingException")
	if resp.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// …but not from another one.
	other := newBrowser(t, f.d)
	other.session()
	body := `{"accessKeyId":"` + testKeyID + `","secretAccessKey":"` + testSecret + `"}`
	if resp := other.do(http.MethodPost, "/ui/api/signin", body, func(r *http.Request) { r.RemoteAddr = "198.51.100.7:4000" }); resp.code != http.StatusOK {
		t.Errorf("sign-in from another address: %d %s", resp.code, resp.body)
	}
	// Once the window is over, the address may try again.
	f.clock.Advance(signInWindow)
	if resp := b.signIn(testKeyID, testSecret); resp.code != http.StatusOK {
		t.Errorf("sign-in after the window: %d %s", resp.code, resp.body)
	}
}

// TestCSRF checks that every state-changing request must carry the
// token of its session (or browser) and come from the same origin, with
// and without access keys.
func TestCSRF(t *testing.T) {
	for _, withKeys := range []bool{false, true} {
		name := map[bool]string{false: "local", true: "keys"}[withKeys]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, withKeys)
			b := newBrowser(t, f.d)
			b.session()
			if withKeys {
				// Sign-in itself is protected.
				good := b.token
				b.token = ""
				wantError(t, "sign-in without a token", b.signIn(testKeyID, testSecret), http.StatusForbidden, "InvalidCsrfTokenException")
				b.token = "x" + good
				wantError(t, "sign-in with a wrong token", b.signIn(testKeyID, testSecret), http.StatusForbidden, "InvalidCsrfTokenException")
				b.token = good
				resp := b.do(http.MethodPost, "/ui/api/signin", `{"accessKeyId":"`+testKeyID+`","secretAccessKey":"`+testSecret+`"}`,
					func(r *http.Request) {
						r.Header.Set("Sec-Fetch-Site", "cross-site")
						r.Header.Set("Origin", "https://evil.example")
					})
				wantError(t, "cross-site sign-in", resp, http.StatusForbidden, "AccessDeniedException")
				if resp := b.signIn(testKeyID, testSecret); resp.code != http.StatusOK {
					t.Fatalf("sign-in: %d %s", resp.code, resp.body)
				}
			}
			good := b.token
			list := func(mutate func(*http.Request)) response {
				return b.do(http.MethodPost, "/ui/api/call", `{}`, func(r *http.Request) {
					r.Header.Set("X-Amz-Target", ecsTarget+"ListClusters")
					if mutate != nil {
						mutate(r)
					}
				})
			}
			// Another browser's token is not this one's.
			other := newBrowser(t, f.d)
			other.session()
			if withKeys {
				other.signIn(testKeyID, testSecret)
			}
			cases := []struct {
				what   string
				mutate func(*http.Request)
				code   int
				typ    string
			}{
				{"no token", func(r *http.Request) { r.Header.Del(csrfHeader) }, http.StatusForbidden, "InvalidCsrfTokenException"},
				{"wrong token", func(r *http.Request) { r.Header.Set(csrfHeader, otherLast(good)) }, http.StatusForbidden, "InvalidCsrfTokenException"},
				{"another browser's token", func(r *http.Request) { r.Header.Set(csrfHeader, other.token) }, http.StatusForbidden, "InvalidCsrfTokenException"},
				{"cross-site", func(r *http.Request) {
					r.Header.Set("Sec-Fetch-Site", "cross-site")
					r.Header.Set("Origin", "https://evil.example")
				}, http.StatusForbidden, "AccessDeniedException"},
				{"same-site but another origin", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, http.StatusForbidden, "AccessDeniedException"},
				{"another origin, no Sec-Fetch-Site", func(r *http.Request) {
					r.Header.Del("Sec-Fetch-Site")
					r.Header.Set("Origin", "http://localhost:9999")
				}, http.StatusForbidden, "AccessDeniedException"},
			}
			for _, c := range cases {
				wantError(t, c.what, list(c.mutate), c.code, c.typ)
			}
			if resp := list(nil); resp.code != http.StatusOK {
				t.Errorf("with the token, same origin: %d %s", resp.code, resp.body)
			}
			if withKeys {
				b.token = ""
				wantError(t, "sign-out without a token", b.do(http.MethodPost, "/ui/api/signout", "{}", nil), http.StatusForbidden, "InvalidCsrfTokenException")
				b.token = good
				if resp := list(nil); resp.code != http.StatusOK {
					t.Errorf("a refused sign-out ended the session: %d %s", resp.code, resp.body)
				}
			}
		})
	}
}

// otherLast returns token with another last character: a wrong token
// whatever token was.
func otherLast(token string) string {
	last := "A"
	if strings.HasSuffix(token, last) {
		last = "B"
	}
	return token[:len(token)-1] + last
}

// TestCSRFBrowserCookie checks that without keys the token is bound to
// the browser's cookie: a request without the cookie has no token to
// match, and a cookie from elsewhere gives another token.
func TestCSRFBrowserCookie(t *testing.T) {
	f := newFixture(t, false)
	b := newBrowser(t, f.d)
	b.session()
	c := b.cookies[browserCookie]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != Path {
		t.Fatalf("browser cookie %+v: want HttpOnly, SameSite=Strict, Path=%s", c, Path)
	}
	delete(b.cookies, browserCookie)
	wantError(t, "no cookie", b.call(ecsTarget+"ListClusters", `{}`), http.StatusForbidden, "InvalidCsrfTokenException")
	b.cookies[browserCookie] = &http.Cookie{Name: browserCookie, Value: "planted"}
	wantError(t, "planted cookie", b.call(ecsTarget+"ListClusters", `{}`), http.StatusForbidden, "InvalidCsrfTokenException")
	b.cookies[browserCookie] = c
	if resp := b.call(ecsTarget+"ListClusters", `{}`); resp.code != http.StatusOK {
		t.Errorf("with the cookie and its token: %d %s", resp.code, resp.body)
	}
	// Secure when the request came over TLS.
	resp := newBrowser(t, f.d).do(http.MethodGet, "/ui/api/session", "", func(r *http.Request) { r.TLS = httptestTLS() })
	if !strings.Contains(resp.header.Get("Set-Cookie"), "Secure") {
		t.Errorf("cookie over TLS: %q", resp.header.Get("Set-Cookie"))
	}
}

// TestDNSRebinding checks that a dashboard without keys answers only
// requests addressed to a loopback name or address: a page of a domain
// made to resolve to 127.0.0.1 is the dashboard's "origin" otherwise.
func TestDNSRebinding(t *testing.T) {
	f := newFixture(t, false)
	for host, ok := range map[string]bool{
		"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:8080": true, "app.localhost": true,
		"evil.example:8080": false, "10.0.0.5:8080": false,
	} {
		b := newBrowser(t, f.d)
		resp := b.do(http.MethodGet, "/ui/api/session", "", func(r *http.Request) { r.Host = host })
		if (resp.code == http.StatusOK) != ok {
			t.Errorf("Host %s: %d %s, want allowed=%v", host, resp.code, resp.body, ok)
		}
		if !ok {
			wantError(t, host, resp, http.StatusForbidden, "AccessDeniedException")
		}
	}
	// An insecure server (listening beyond loopback without keys) answers
	// any host, as the operator chose.
	f.d.anyHost = true
	b := newBrowser(t, f.d)
	if resp := b.do(http.MethodGet, "/ui/api/session", "", func(r *http.Request) { r.Host = "10.0.0.5:8080" }); resp.code != http.StatusOK {
		t.Errorf("insecure: %d %s", resp.code, resp.body)
	}
}
