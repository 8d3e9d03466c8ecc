package lb

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// condition is a compiled rule condition. A request matches it when any
// of its patterns matches.
type condition struct {
	field string
	// patterns for path, host, header and method conditions.
	patterns []pattern
	// header is the canonical header name of an http-header condition.
	header string
	// query holds the key/value patterns of a query-string condition.
	query []queryPattern
}

// queryPattern is one key/value pair of a query-string condition; a nil
// key matches any key.
type queryPattern struct {
	key   *pattern
	value pattern
}

// compileCondition compiles a validated Condition.
func compileCondition(c Condition) condition {
	cc := condition{field: c.Field}
	fold := c.Field != FieldPathPattern
	for _, v := range c.Values {
		if c.Field == FieldHTTPRequestMethod {
			cc.patterns = append(cc.patterns, pattern{text: v, kind: patExact})
			continue
		}
		cc.patterns = append(cc.patterns, compilePattern(v, fold))
	}
	if c.Field == FieldHTTPHeader {
		cc.header = textproto.CanonicalMIMEHeaderKey(c.HeaderName)
	}
	for _, kv := range c.QueryStrings {
		qp := queryPattern{value: compilePattern(kv.Value, true)}
		if kv.Key != "" {
			k := compilePattern(kv.Key, true)
			qp.key = &k
		}
		cc.query = append(cc.query, qp)
	}
	return cc
}

// routeReq is what rule conditions read of a request; the net/http
// path's *http.Request (as *stdReq) and the HTTP/1 fast path's parsed
// request both provide it without allocating for the common fields.
type routeReq interface {
	// method is the request method.
	method() string
	// host is the Host header (with its port, if any).
	host() string
	// path is the request path, percent-decoded.
	path() string
	// rawQuery is the query string without '?', still encoded.
	rawQuery() string
	// headerValue returns the i-th value of the header with canonical
	// name; ok is false past the last one.
	headerValue(name string, i int) (v string, ok bool)
}

// stdReq is an *http.Request as rule conditions read it.
type stdReq http.Request

func (r *stdReq) method() string   { return r.Method }
func (r *stdReq) host() string     { return r.Host }
func (r *stdReq) path() string     { return r.URL.Path }
func (r *stdReq) rawQuery() string { return r.URL.RawQuery }

func (r *stdReq) headerValue(name string, i int) (string, bool) {
	vs := r.Header[name]
	if i >= len(vs) {
		return "", false
	}
	return vs[i], true
}

// match reports whether r satisfies the condition.
func (c *condition) match(r routeReq) bool {
	switch c.field {
	case FieldPathPattern:
		return c.anyMatch(r.path())
	case FieldHostHeader:
		return c.anyMatch(hostWithoutPort(r.host()))
	case FieldHTTPRequestMethod:
		return c.anyMatch(r.method())
	case FieldHTTPHeader:
		for i := 0; ; i++ {
			v, ok := r.headerValue(c.header, i)
			if !ok {
				return false
			}
			if c.anyMatch(v) {
				return true
			}
		}
	case FieldQueryString:
		return c.matchQuery(r.rawQuery())
	}
	return false
}

func (c *condition) anyMatch(s string) bool {
	for i := range c.patterns {
		if c.patterns[i].match(s) {
			return true
		}
	}
	return false
}

// maxDecoded is the size of the stack buffers query keys and values are
// decoded into; longer ones are decoded on the heap.
const maxDecoded = 256

// matchQuery reports whether any key=value pair of the raw query string
// matches any of the condition's pairs. Keys and values are matched
// decoded.
func (c *condition) matchQuery(raw string) bool {
	var kbuf, vbuf [maxDecoded]byte
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, ok1 := unescapeQuery(k, kbuf[:0])
		val, ok2 := unescapeQuery(v, vbuf[:0])
		if !ok1 || !ok2 {
			continue
		}
		for i := range c.query {
			q := &c.query[i]
			if q.key != nil && !matchPattern(q.key, key) {
				continue
			}
			if matchPattern(&q.value, val) {
				return true
			}
		}
	}
	return false
}

// unescapeQuery decodes a query component ('+' is a space, %XX a byte)
// into buf, growing it on the heap only past its capacity. ok is false
// for a malformed escape.
func unescapeQuery(s string, buf []byte) ([]byte, bool) {
	if !strings.ContainsAny(s, "%+") {
		if len(s) <= cap(buf) {
			return append(buf, s...), true
		}
		return []byte(s), true
	}
	if len(s) > cap(buf) {
		d, err := url.QueryUnescape(s)
		return []byte(d), err == nil
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			buf = append(buf, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return nil, false
			}
			buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	return buf, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// hostWithoutPort strips a trailing ":port" from a Host header, keeping
// bracketed IPv6 literals intact.
func hostWithoutPort(h string) string {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.IndexByte(h[i:], ']') >= 0 {
		return h
	}
	if strings.Count(h, ":") > 1 && !strings.HasPrefix(h, "[") {
		return h // bare IPv6 literal without a port
	}
	return h[:i]
}

// pattern is a compiled ELBv2 wildcard pattern: '*' matches any run of
// characters (including none) and '?' exactly one character. Matching
// never allocates.
type pattern struct {
	text string
	fold bool // ASCII case-insensitive
	kind patternKind
	// lit is the literal part for the prefix and suffix kinds.
	lit string
}

type patternKind uint8

const (
	patExact  patternKind = iota // no wildcard
	patAny                       // only '*'s
	patPrefix                    // "lit*"
	patSuffix                    // "*lit"
	patGlob                      // anything else
)

// compilePattern compiles text; fold makes it ASCII case-insensitive.
func compilePattern(text string, fold bool) pattern {
	p := pattern{text: text, fold: fold, kind: patGlob}
	switch {
	case !strings.ContainsAny(text, "*?"):
		p.kind = patExact
	case strings.Trim(text, "*") == "":
		p.kind = patAny
	case strings.IndexAny(text, "*?") == len(text)-1 && text[len(text)-1] == '*':
		p.kind, p.lit = patPrefix, text[:len(text)-1]
	case strings.LastIndexAny(text, "*?") == 0 && text[0] == '*':
		p.kind, p.lit = patSuffix, text[1:]
	}
	return p
}

// match reports whether s matches the pattern.
func (p *pattern) match(s string) bool { return matchPattern(p, s) }

// matchPattern is match for a string or a byte slice (query strings are
// decoded into a stack buffer).
func matchPattern[S ~string | ~[]byte](p *pattern, s S) bool {
	switch p.kind {
	case patExact:
		return len(s) == len(p.text) && equalAt(p.text, s, 0, p.fold)
	case patAny:
		return true
	case patPrefix:
		return len(s) >= len(p.lit) && equalAt(p.lit, s, 0, p.fold)
	case patSuffix:
		return len(s) >= len(p.lit) && equalAt(p.lit, s, len(s)-len(p.lit), p.fold)
	}
	return glob(p.text, s, p.fold)
}

// equalAt reports whether lit equals s[off:off+len(lit)].
func equalAt[S ~string | ~[]byte](lit string, s S, off int, fold bool) bool {
	for i := 0; i < len(lit); i++ {
		a, b := lit[i], s[off+i]
		if a != b && (!fold || lower(a) != lower(b)) {
			return false
		}
	}
	return true
}

// glob is the general wildcard match: greedy on '*' with backtracking
// to the last star, linear in practice and allocation-free. '?' takes
// one UTF-8 encoded character.
func glob[S ~string | ~[]byte](p string, s S, fold bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				star, mark = pi, si
				pi++
				continue
			case c == '?':
				pi++
				si = nextChar(s, si)
				continue
			case c == s[si] || fold && lower(c) == lower(s[si]):
				pi++
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		mark = nextChar(s, mark)
		pi, si = star+1, mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p) && si == len(s)
}

// nextChar returns the index after the character at i: a whole UTF-8
// sequence when s holds a well-formed one there, else one byte (never
// past the end of s).
func nextChar[S ~string | ~[]byte](s S, i int) int {
	n := 1
	switch b := s[i]; {
	case b >= 0xC0 && b < 0xE0:
		n = 2
	case b >= 0xE0 && b < 0xF0:
		n = 3
	case b >= 0xF0 && b < 0xF8:
		n = 4
	}
	if i+n > len(s) {
		return i + 1
	}
	for j := i + 1; j < i+n; j++ {
		if s[j]&0xC0 != 0x80 {
			return i + 1
		}
	}
	return i + n
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
