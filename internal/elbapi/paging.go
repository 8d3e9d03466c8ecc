package elbapi

import (
	"encoding/base64"
)

// defaultPageSize is the page size when a request sets none (the model's
// maximum, as in AWS).
const defaultPageSize = 400

// page returns one page of items, which are sorted by the unique key key:
// the items after the one marker names (from the start when marker is
// empty), at most pageSize of them (defaultPageSize when nil; the model
// bounds it to 1–400), and the NextMarker that resumes after the last one
// ("" when the listing is complete). Markers are opaque to clients: the
// base64 of the last key sent.
func page[T any](items []T, key func(T) string, marker string, pageSize *int32) ([]T, string, error) {
	size := defaultPageSize
	if pageSize != nil {
		size = int(*pageSize)
	}
	start := 0
	if marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(after) == 0 {
			return nil, "", validation("The marker '%s' is not valid.", marker)
		}
		for start < len(items) && key(items[start]) <= string(after) {
			start++
		}
	}
	end := min(start+size, len(items))
	out := items[start:end]
	next := ""
	if end < len(items) && len(out) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(out[len(out)-1])))
	}
	return out, next, nil
}
