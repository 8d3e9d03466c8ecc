package ecsapi

import (
	"encoding/base64"
)

// page collects up to limit items of a listing and the token that
// resumes it after the last one.
type page struct {
	limit int
	last  string
	n     int
	more  bool
}

// newPage starts a listing of at most maxResults items (def when unset,
// at most max) resuming after nextToken.
func newPage(maxResults *int32, nextToken string, def, max int) (*page, string, error) {
	limit := def
	if maxResults != nil {
		limit = int(*maxResults)
		if limit < 1 || limit > max {
			return nil, "", invalidParam("maxResults must be between 1 and %d.", max)
		}
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || len(b) == 0 {
			return nil, "", invalidParam("Invalid nextToken.")
		}
		after = string(b)
	}
	return &page{limit: limit}, after, nil
}

// add reports whether one more item, with the given resume key, fits;
// when it does not, the listing has more and the caller stops.
func (p *page) add(key string) bool {
	if p.n == p.limit {
		p.more = true
		return false
	}
	p.n++
	p.last = key
	return true
}

// token is the nextToken to return: empty at the end of the listing.
func (p *page) token() string {
	if !p.more {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(p.last))
}
