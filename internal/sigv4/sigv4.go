// Package sigv4 verifies AWS Signature Version 4 on incoming requests:
// the canonical request is rebuilt from the headers the client says it
// signed, the signing key is derived from the secret of the access key
// named in the credential scope, and the signatures are compared in
// constant time. A request must be signed within MaxSkew of the server's
// clock, and its body must hash to what was signed.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// MaxSkew is how far a request's signing time may be from the server's
// clock, as AWS allows.
const MaxSkew = 15 * time.Minute

const (
	amzDateFormat = "20060102T150405Z"
	scopeDate     = "20060102"
	terminator    = "aws4_request"
)

// Verifier checks signatures against a set of access keys.
type Verifier struct {
	// Secret returns the secret access key of an access key ID.
	Secret func(accessKeyID string) (secret string, ok bool)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Credential is what a verified request was signed with.
type Credential struct {
	AccessKeyID string
	Region      string
	Service     string
}

// authorization is the parsed Authorization header.
type authorization struct {
	accessKeyID, date, region, service string
	signedHeaders                      []string
	signature                          string
}

// Verify checks r's signature; body is r's body, already read (the
// caller bounds its size). It returns the credential the request was
// signed with, or an *Error saying what is wrong.
func (v *Verifier) Verify(r *http.Request, body []byte) (Credential, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		if r.URL.Query().Has("X-Amz-Signature") {
			return Credential{}, newError(Incomplete, "Presigned requests are not supported: sign the Authorization header.")
		}
		return Credential{}, newError(Missing, "Request is missing Authentication Token")
	}
	auth, err := parseAuthorization(header)
	if err != nil {
		return Credential{}, err
	}
	secret, ok := v.Secret(auth.accessKeyID)
	if !ok {
		return Credential{}, newError(UnknownKey, "The security token included in the request is invalid.")
	}
	signedAt, err := v.signingTime(r, auth)
	if err != nil {
		return Credential{}, err
	}
	payload, err := payloadHash(r, body)
	if err != nil {
		return Credential{}, err
	}
	canonical, err := canonicalRequest(r, auth.signedHeaders, payload)
	if err != nil {
		return Credential{}, err
	}
	scope := auth.date + "/" + auth.region + "/" + auth.service + "/" + terminator
	sum := sha256.Sum256([]byte(canonical))
	toSign := Algorithm + "\n" + signedAt.Format(amzDateFormat) + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := signingKey(secret, auth.date, auth.region, auth.service)
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(auth.signature))) {
		return Credential{}, newError(BadSignature, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return Credential{AccessKeyID: auth.accessKeyID, Region: auth.region, Service: auth.service}, nil
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=HEX".
func parseAuthorization(h string) (authorization, error) {
	var a authorization
	alg, rest, _ := strings.Cut(h, " ")
	if alg != Algorithm {
		return a, newError(Incomplete, "Unsupported authorization type: only "+Algorithm+" is accepted.")
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, newError(Incomplete, "Authorization header requires each component to be of the form key=value.")
		}
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return a, newError(Incomplete, "Authorization header requires '"+k+"' parameter.")
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" || scope[2] == "" || scope[3] == "" || scope[4] != terminator {
		return a, newError(Incomplete, "Credential should be scoped to a valid region, service and date: ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.")
	}
	if _, err := time.Parse(scopeDate, scope[1]); err != nil {
		return a, newError(Incomplete, "Credential should be scoped to a valid date (YYYYMMDD), not '"+scope[1]+"'.")
	}
	a.accessKeyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	for i, name := range a.signedHeaders {
		if name == "" || name != strings.ToLower(name) || (i > 0 && name <= a.signedHeaders[i-1]) {
			return a, newError(Incomplete, "SignedHeaders must list lowercase header names, sorted, without repeats.")
		}
	}
	if !slices.Contains(a.signedHeaders, "host") {
		return a, newError(Incomplete, "The host header must be signed.")
	}
	a.signature = fields["Signature"]
	return a, nil
}

// signingTime returns the signed X-Amz-Date (or Date) of r, checking it
// is signed, agrees with the credential scope and is within MaxSkew.
func (v *Verifier) signingTime(r *http.Request, a authorization) (time.Time, error) {
	var t time.Time
	var err error
	switch {
	case r.Header.Get("X-Amz-Date") != "" && slices.Contains(a.signedHeaders, "x-amz-date"):
		t, err = time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	case r.Header.Get("Date") != "" && slices.Contains(a.signedHeaders, "date"):
		t, err = http.ParseTime(r.Header.Get("Date"))
	default:
		return t, newError(Incomplete, "Authorization header requires existence of either a signed 'X-Amz-Date' or a signed 'Date' header.")
	}
	if err != nil {
		return t, newError(Incomplete, "The request's signing date is not in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.")
	}
	t = t.UTC()
	if t.Format(scopeDate) != a.date {
		return t, newError(BadSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+a.date+"' != '"+t.Format(scopeDate)+"'.")
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	n := now().UTC()
	if t.Before(n.Add(-MaxSkew)) {
		return t, newError(Expired, "Signature expired: "+t.Format(amzDateFormat)+" is now earlier than "+n.Add(-MaxSkew).Format(amzDateFormat)+" ("+n.Format(amzDateFormat)+" - 15 min.)")
	}
	if t.After(n.Add(MaxSkew)) {
		return t, newError(Expired, "Signature not yet current: "+t.Format(amzDateFormat)+" is still later than "+n.Add(MaxSkew).Format(amzDateFormat)+" ("+n.Format(amzDateFormat)+" + 15 min.)")
	}
	return t, nil
}

// payloadHash is the hex SHA-256 of body; a client's
// X-Amz-Content-Sha256 must agree with it.
func payloadHash(r *http.Request, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	if claimed := r.Header.Get("X-Amz-Content-Sha256"); claimed != "" && claimed != h {
		return "", newError(BadSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	return h, nil
}

// canonicalRequest builds SigV4's canonical request of r over the
// headers named in signed.
func canonicalRequest(r *http.Request, signed []string, payload string) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(canonicalURI(r.URL) + "\n")
	b.WriteString(canonicalQuery(r.URL) + "\n")
	for _, name := range signed {
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = r.Header.Values(name)
			if len(values) == 0 && r.ContentLength >= 0 {
				values = []string{strconv.FormatInt(r.ContentLength, 10)} // Go keeps it out of Header
			}
		default:
			values = r.Header.Values(name)
		}
		if len(values) == 0 {
			return "", newError(BadSignature, "The request is missing the signed header '"+name+"'.")
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	return b.String(), nil
}

// canonicalURI is the path, URI-encoded once more as SigV4 asks of every
// service but S3.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	segments := strings.Split(p, "/")
	for i, s := range segments {
		segments[i] = escape(s)
	}
	return strings.Join(segments, "/")
}

// canonicalQuery sorts the query's parameters by name, then value, each
// URI-encoded.
func canonicalQuery(u *url.URL) string {
	q := u.Query()
	pairs := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, escape(k)+"="+escape(v))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// escape URI-encodes s as SigV4 does: everything but unreserved
// characters (A-Z a-z 0-9 - _ . ~), with uppercase hexadecimal.
func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
