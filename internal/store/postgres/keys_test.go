package postgres

import (
	"bytes"
	"testing"
)

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		prefix string
		want   []byte // nil: no bound
	}{
		{"", nil},
		{"a", []byte("b")},
		{"svc/", []byte("svc0")},
		{"a\xff", []byte("b")},
		{"a\xff\xff", []byte("b")},
		{"\xff", nil},
		{"\xff\xff", nil},
		{"a\x00", []byte("a\x01")},
	} {
		if got := prefixEnd(c.prefix); !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
}
