package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/cutover/cutover/internal/accesskeys"
	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/sigv4"
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

// checkExposure refuses to serve the API unauthenticated on an address
// that is not loopback, unless insecure says to.
func checkExposure(listen string, authenticated, insecure bool) error {
	if authenticated || insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", listen, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to serve the API without access keys on %s, where anyone who reaches it could drive deployments: "+
		"pass --access-keys FILE, listen on a loopback address, or pass --insecure", listen)
}

// loadAccessKeys reads the access keys file, if one is named.
func loadAccessKeys(path string) (*accesskeys.Keys, error) {
	if path == "" {
		return nil, nil
	}
	return accesskeys.Load(path)
}

// signed serves the requests auth accepts and refuses the others with
// the JSON error of the ECS API: the task logs and the event stream are
// read with the API's credentials.
func signed(auth audit.Authenticator, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth(r, nil); err != nil {
			status, typ, msg := ecsapi.ErrorResponse(err)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authenticator names the caller of an API request (package audit).
// Without access keys, every request is served: the caller is the
// access key its SigV4 credential claims, or anonymous. With them, a
// request must carry a valid SigV4 signature by one of the keys
// (package sigv4), and the caller is that key, named as the file names
// it.
func authenticator(keys *accesskeys.Keys) audit.Authenticator {
	if keys == nil {
		return func(r *http.Request, _ []byte) (audit.Actor, error) { return audit.FromRequest(r), nil }
	}
	v := &sigv4.Verifier{Secret: func(id string) (string, bool) {
		k, ok := keys.Lookup(id)
		return k.Secret, ok
	}}
	return func(r *http.Request, body []byte) (audit.Actor, error) {
		cred, err := v.Verify(r, body)
		if err != nil {
			return audit.Actor{}, err
		}
		k, _ := keys.Lookup(cred.AccessKeyID)
		a := audit.FromRequest(r)
		a.Kind, a.ID, a.Name = audit.KindAccessKey, k.ID, k.Name
		return a, nil
	}
}
