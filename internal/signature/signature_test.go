package signature

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"a":1}`)
	now := time.Unix(1_732_492_800, 0)
	signed := func() http.Header {
		h := http.Header{}
		SetHeaders(h, secret, body, now)
		return h
	}
	if got := signed().Get(SignatureHeader); got != Sign(secret, now.Unix(), body) {
		t.Fatalf("header %q", got)
	}
	tests := []struct {
		name   string
		header func() http.Header
		secret []byte
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", signed, secret, body, now, nil},
		{"valid within tolerance", signed, secret, body, now.Add(Tolerance), nil},
		{"rotated keys", func() http.Header {
			h := signed()
			h.Set(SignatureHeader, "v1=00, "+h.Get(SignatureHeader))
			return h
		}, secret, body, now, nil},
		{"stale", signed, secret, body, now.Add(Tolerance + time.Second), ErrStale},
		{"future", signed, secret, body, now.Add(-Tolerance - time.Second), ErrStale},
		{"other secret", signed, []byte("other"), body, now, ErrMismatch},
		{"tampered body", signed, secret, []byte(`{"a":2}`), now, ErrMismatch},
		{"missing", func() http.Header { return http.Header{} }, secret, body, now, ErrMissing},
		{"bad timestamp", func() http.Header {
			h := signed()
			h.Set(TimestampHeader, "soon")
			return h
		}, secret, body, now, ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.header(), tt.secret, tt.body, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
