package cwapi

import (
	"encoding/base64"
	"strings"
)

// tokenPrefix marks the tokens this API hands out, so that a token of
// another operation or a made-up one is refused.
const tokenPrefix = "cutover:"

// encodeToken returns the NextToken that resumes a listing of kind after
// the item whose key is key.
func encodeToken(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + kind + ":" + key))
}

// decodeToken returns the key a NextToken of kind resumes after; an empty
// token is the start ("", nil).
func decodeToken(kind, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", apiErr(errInvalidNextToken, "The service cannot parse the NextToken %q.", token)
	}
	key, ok := strings.CutPrefix(string(b), tokenPrefix+kind+":")
	if !ok {
		return "", apiErr(errInvalidNextToken, "The NextToken %q is not a token of this operation.", token)
	}
	return key, nil
}
