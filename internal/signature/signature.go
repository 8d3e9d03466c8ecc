// Package signature signs the HTTP requests cutover sends to hook
// endpoints and event webhooks, and verifies them on the receiving side.
//
// A signed request carries two headers:
//
//	X-Cutover-Timestamp: 1732492800
//	X-Cutover-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">
//
// The key is a secret shared with the receiver. Receivers recompute the
// HMAC over the timestamp header, a dot and the raw body, compare it in
// constant time, and refuse timestamps too far from their clock (replays).
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	TimestampHeader = "X-Cutover-Timestamp"
	SignatureHeader = "X-Cutover-Signature"
)

// Tolerance is how far a timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Sign returns the signature header value for body sent at timestamp ts
// (Unix seconds).
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// SetHeaders signs body for req as of now.
func SetHeaders(h http.Header, secret []byte, body []byte, now time.Time) {
	ts := now.Unix()
	h.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	h.Set(SignatureHeader, Sign(secret, ts, body))
}

// Errors returned by Verify.
var (
	ErrMissing  = errors.New("signature: missing " + TimestampHeader + " or " + SignatureHeader + " header")
	ErrStale    = errors.New("signature: timestamp outside the tolerated window")
	ErrMismatch = errors.New("signature: does not match")
)

// Verify checks the signature headers h of body against secret as of now.
func Verify(h http.Header, secret []byte, body []byte, now time.Time) error {
	tsText, sig := h.Get(TimestampHeader), h.Get(SignatureHeader)
	if tsText == "" || sig == "" {
		return ErrMissing
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrMissing
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	want := Sign(secret, ts, body)
	for _, s := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return ErrMismatch
}
