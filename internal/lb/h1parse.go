package lb

import (
	"bufio"
	"bytes"
	"errors"
	"net/url"
	"strconv"
)

// The HTTP/1.1 fast path (h1serve.go) parses request heads itself, and
// only the plain ones: anything it does not take is handed, bytes and
// all, to net/http's server, which answers it as it always did (and
// refuses what must be refused, see smuggling.go). So this parser needs
// to be exact only about what it accepts.

// fastHeadLimit is the largest request head the fast path takes; a
// larger one goes to net/http, which enforces MaxHeaderBytes.
const fastHeadLimit = 16 << 10

// maxFastHeaders is the most header fields the fast path takes.
const maxFastHeaders = 100

// errHeadTooLarge means a head went past its limit while being read.
var errHeadTooLarge = errors.New("message head too large")

// header is one header field of a parsed head.
type header struct {
	name, value []byte
}

// readHead appends the lines of a message head (up to and including the
// empty line) from br to buf. It stops with errHeadTooLarge past limit
// bytes, leaving what it read in buf.
func readHead(br *bufio.Reader, buf []byte, limit int) ([]byte, error) {
	for {
		line, err := br.ReadSlice('\n')
		buf = append(buf, line...)
		if len(buf) > limit {
			return buf, errHeadTooLarge
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return buf, err
		}
		if len(line) <= 2 && (len(line) == 1 || line[0] == '\r') {
			return buf, nil
		}
	}
}

// splitLine returns the first CRLF-terminated line of b and the rest;
// ok is false if b has no CRLF or a bare CR or LF inside the line.
func splitLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	line = b[:i-1]
	return line, b[i+1:], bytes.IndexByte(line, '\r') < 0
}

// parseFields parses the header fields of a head (after its first line)
// into hs, which it reuses. It takes only plain fields: a token name
// followed at once by a colon, and a value of visible characters, spaces
// and tabs; no obs-fold. ok is false otherwise.
func parseFields(b []byte, hs []header) ([]header, bool) {
	hs = hs[:0]
	for {
		line, rest, ok := splitLine(b)
		if !ok {
			return hs, false
		}
		if len(line) == 0 {
			return hs, len(rest) == 0
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 1 || len(hs) == maxFastHeaders {
			return hs, false
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		for _, c := range name {
			if !isTokenChar(c) {
				return hs, false
			}
		}
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return hs, false
			}
		}
		hs = append(hs, header{name: name, value: value})
		b = rest
	}
}

// trimOWS trims spaces and tabs at both ends.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// is reports whether the header name n is name, ignoring ASCII case;
// name is given in lower case.
func is(n []byte, name string) bool {
	if len(n) != len(name) {
		return false
	}
	for i := range n {
		if lower(n[i]) != name[i] {
			return false
		}
	}
	return true
}

// equalFold reports whether n and name are equal ignoring ASCII case.
func equalFold(n []byte, name string) bool {
	if len(n) != len(name) {
		return false
	}
	for i := range n {
		if lower(n[i]) != lower(name[i]) {
			return false
		}
	}
	return true
}

// hopByHop reports whether a header field is one a proxy does not pass
// on (RFC 9110 §7.6.1, and the ones httputil.ReverseProxy drops too).
func hopByHop(n []byte) bool {
	switch len(n) {
	case 2:
		return is(n, "te")
	case 7:
		return is(n, "trailer") || is(n, "upgrade")
	case 10:
		return is(n, "connection") || is(n, "keep-alive")
	case 16:
		return is(n, "proxy-connection")
	case 17:
		return is(n, "transfer-encoding")
	case 18:
		return is(n, "proxy-authenticate")
	case 19:
		return is(n, "proxy-authorization")
	}
	return false
}

// request is a request head the fast path took. Its slices point into
// the connection's head buffer, valid until the next request is read.
type request struct {
	methodB, target, pathB, queryB, hostB []byte
	headers                               []header
	// length is the Content-Length (0 without one).
	length int64
	// close is set by "Connection: close".
	close bool
	// xff holds the prior X-Forwarded-For values, joined.
	xff []byte
	// Strings made on demand for rule conditions.
	methodS, hostS, pathS string
}

// parseRequest parses a request head into r; ok is false for anything
// but a plain HTTP/1.1 request the fast path takes: an origin-form
// target, exactly one valid Host, at most one Content-Length, no
// Transfer-Encoding, Expect or Upgrade, and Connection only "close" or
// "keep-alive".
func (r *request) parse(head []byte) (ok bool) {
	line, rest, ok := splitLine(head)
	if !ok {
		return false
	}
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 1 {
		return false
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 < 1 {
		return false
	}
	r.methodB, r.target = line[:sp1], line[sp1+1:sp1+1+sp2]
	if string(line[sp1+sp2+2:]) != "HTTP/1.1" || r.target[0] != '/' {
		return false
	}
	for _, c := range r.methodB {
		if !isTokenChar(c) {
			return false
		}
	}
	pct := false
	for _, c := range r.target {
		if c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
		pct = pct || c == '%'
	}
	r.pathB, r.queryB = r.target, nil
	if i := bytes.IndexByte(r.target, '?'); i >= 0 {
		r.pathB, r.queryB = r.target[:i], r.target[i+1:]
	}
	r.methodS, r.hostS, r.pathS = "", "", ""
	if pct {
		p, err := url.PathUnescape(string(r.pathB))
		if err != nil {
			return false
		}
		r.pathS = p
	}
	if r.headers, ok = parseFields(rest, r.headers); !ok {
		return false
	}
	return r.scanHeaders()
}

// scanHeaders reads the fields the fast path acts on.
func (r *request) scanHeaders() bool {
	r.hostB, r.length, r.close, r.xff = nil, 0, false, r.xff[:0]
	hosts, lengths := 0, 0
	for _, h := range r.headers {
		switch {
		case is(h.name, "host"):
			hosts++
			r.hostB = h.value
		case is(h.name, "content-length"):
			lengths++
			n, err := strconv.ParseInt(string(h.value), 10, 64)
			if err != nil || n < 0 || h.value[0] == '+' {
				return false
			}
			r.length = n
		case is(h.name, "connection"):
			switch {
			case is(h.value, "close"):
				r.close = true
			case is(h.value, "keep-alive"):
			default:
				return false
			}
		case is(h.name, "x-forwarded-for"):
			if len(r.xff) > 0 {
				r.xff = append(r.xff, ", "...)
			}
			r.xff = append(r.xff, h.value...)
		case is(h.name, "transfer-encoding"), is(h.name, "expect"), is(h.name, "upgrade"):
			return false
		}
	}
	return hosts == 1 && lengths <= 1 && validHost(r.hostB)
}

// validHost reports whether a Host value is one net/http accepts
// (httpguts.ValidHostHeader's characters), and not empty.
func validHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	for _, c := range h {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case bytes.IndexByte([]byte("!$&'()*+,-.:;=[]_~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Methods, so that routing by method does not allocate for them.
var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}

func (r *request) method() string {
	if r.methodS == "" {
		for _, m := range knownMethods {
			if string(r.methodB) == m {
				r.methodS = m
				return m
			}
		}
		r.methodS = string(r.methodB)
	}
	return r.methodS
}

func (r *request) host() string {
	if r.hostS == "" {
		r.hostS = string(r.hostB)
	}
	return r.hostS
}

func (r *request) path() string {
	if r.pathS == "" {
		r.pathS = string(r.pathB)
	}
	return r.pathS
}

func (r *request) rawQuery() string { return string(r.queryB) }

func (r *request) headerValue(name string, i int) (string, bool) {
	for _, h := range r.headers {
		if !equalFold(h.name, name) {
			continue
		}
		if i == 0 {
			return string(h.value), true
		}
		i--
	}
	return "", false
}

// idempotent reports whether the request may be sent again after an
// attempt that never reached the target.
func (r *request) idempotent() bool { return idempotent(r.method()) }
