package server

import (
	"net/http"
	"strings"

	"github.com/cutover/cutover/internal/accesskeys"
	"github.com/cutover/cutover/internal/audit"
)

// route serves the paths under a prefix: the dashboard, the Slack
// interaction endpoint, the approval links.
type route struct {
	prefix string
	h      http.Handler
}

// routeOf returns the handler of the route path falls under, or nil.
func routeOf(routes []route, path string) http.Handler {
	for _, rt := range routes {
		if path == strings.TrimSuffix(rt.prefix, "/") || strings.HasPrefix(path, rt.prefix) {
			return rt.h
		}
	}
	return nil
}

// loadAccessKeys reads the access keys file, if one is named.
func loadAccessKeys(path string) (*accesskeys.Keys, error) {
	if path == "" {
		return nil, nil
	}
	return accesskeys.Load(path)
}

// withActor makes the API's requests carry their actor (package audit):
// the access key of the request's SigV4 credential, named as the access
// keys file names it, or anonymous.
func withActor(api http.Handler, keys *accesskeys.Keys) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := audit.FromRequest(r)
		if keys != nil && a.Kind == audit.KindAccessKey {
			if k, ok := keys.Lookup(a.ID); ok {
				a.Name = k.Name
			}
		}
		api.ServeHTTP(w, r.WithContext(audit.WithActor(r.Context(), a)))
	})
}
