package lb

import (
	"net/url"
	"testing"
	"unicode/utf8"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		fold    bool
		in      string
		want    bool
	}{
		{"/api", false, "/api", true},
		{"/api", false, "/API", false},
		{"/api", false, "/api/", false},
		{"/api/*", false, "/api/", true},
		{"/api/*", false, "/api/v1/users", true},
		{"/api/*", false, "/apix", false},
		{"*", false, "", true},
		{"*", false, "anything", true},
		{"**", false, "x", true},
		{"*.png", false, "/img/a.png", true},
		{"*.png", false, "/img/a.PNG", false},
		{"*.png", true, "/img/a.PNG", true},
		{"/img/?.png", false, "/img/a.png", true},
		{"/img/?.png", false, "/img/ab.png", false},
		{"/img/?.png", false, "/img/.png", false},
		{"/img/?.png", false, "/img/é.png", true}, // '?' is one character, not one byte
		{"/a*b*c", false, "/axxbyyc", true},
		{"/a*b*c", false, "/axxbyy", false},
		{"/a*b?c", false, "/abbbxc", true},
		{"*a*a*a*", false, "aaa", true},
		{"*a*a*a*", false, "aa", false},
		{"?", false, "", false},
		{"", false, "", true},
		{"", false, "x", false},
		{"www.example.com", true, "WWW.Example.COM", true},
		{"*.example.com", true, "api.EXAMPLE.com", true},
		{"*.example.com", true, "example.com", false},
		{"api-?.example.com", true, "API-1.example.com", true},
	}
	for _, tt := range tests {
		p := compilePattern(tt.pattern, tt.fold)
		if got := p.match(tt.in); got != tt.want {
			t.Errorf("pattern %q (fold %v) on %q = %v, want %v", tt.pattern, tt.fold, tt.in, got, tt.want)
		}
		if got := matchPattern(&p, []byte(tt.in)); got != tt.want {
			t.Errorf("pattern %q (fold %v) on []byte %q = %v, want %v", tt.pattern, tt.fold, tt.in, got, tt.want)
		}
		// The general matcher must agree with the fast paths.
		if got := glob(tt.pattern, tt.in, tt.fold); got != tt.want {
			t.Errorf("glob %q (fold %v) on %q = %v, want %v", tt.pattern, tt.fold, tt.in, got, tt.want)
		}
	}
}

func TestHostWithoutPort(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":      "example.com",
		"example.com:8080": "example.com",
		"[::1]:80":         "[::1]",
		"[::1]":            "[::1]",
		"::1":              "::1",
		"":                 "",
	} {
		if got := hostWithoutPort(in); got != want {
			t.Errorf("hostWithoutPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPattern(f *testing.F) {
	f.Add("/a*b?c", "/axbyc")
	f.Add("*.example.com", "WWW.EXAMPLE.COM")
	f.Fuzz(func(t *testing.T, pat, s string) {
		if !utf8.ValidString(pat) {
			t.Skip("validation refuses patterns that are not UTF-8")
		}
		p := compilePattern(pat, true)
		fast := p.match(s)
		if slow := glob(pat, s, true); fast != slow {
			t.Fatalf("pattern %q on %q: fast path %v, glob %v", pat, s, fast, slow)
		}
	})
}

func FuzzUnescapeQuery(f *testing.F) {
	f.Add("a%20b+c")
	f.Add("%zz")
	f.Add("%4")
	f.Fuzz(func(t *testing.T, s string) {
		var buf [maxDecoded]byte
		got, ok := unescapeQuery(s, buf[:0])
		want, err := url.QueryUnescape(s)
		if ok != (err == nil) {
			t.Fatalf("unescapeQuery(%q) ok = %v, url.QueryUnescape error = %v", s, ok, err)
		}
		if ok && string(got) != want {
			t.Fatalf("unescapeQuery(%q) = %q, want %q", s, got, want)
		}
	})
}
