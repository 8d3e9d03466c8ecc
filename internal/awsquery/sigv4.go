package awsquery

import (
	"net/http"
	"strings"
)

// SigV4Service returns the service of a SigV4 credential scope
// (AKID/date/region/service/aws4_request), from the Authorization header
// or a presigned URL's X-Amz-Credential. Query-protocol services share
// one endpoint and are told apart by it.
func SigV4Service(r *http.Request) (string, bool) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		_, rest, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return "", false
		}
		cred, _, _ = strings.Cut(rest, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return "", false
	}
	return parts[3], true
}
