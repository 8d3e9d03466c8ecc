package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/awsquery"
)

const (
	// forwardedHeader marks a request a follower forwarded, so that the
	// server it reached does not forward it again when it does not lead
	// either (the lease moved meanwhile).
	forwardedHeader = "X-Cutover-Forwarded-By"
	// leaderWait is how long a write waits for a leader when none is
	// known: about as long as an election takes after a leader's death.
	leaderWait = leaseTTL + 2*campaignEvery
	// forwardPoll is how often a waiting write looks for a leader.
	forwardPoll = 50 * time.Millisecond
	// maxForwardBody bounds what is read of a query request's body to
	// find its action (the APIs' own bound).
	maxForwardBody = 1 << 20
)

// route serves reads on this server whatever its role, and writes only
// while it leads: a follower sends them to the leader, with the caller's
// Host and signature intact, so that any server of the control plane
// takes any request. A write waits up to l.leaderWait for a leader when
// none is known (one is being elected); then it is refused with a 503,
// which AWS clients retry.
func (l *leadership) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			l.roleHeaders(w.Header())
		}
		if l.leading.Load() || !isWrite(r) {
			next.ServeHTTP(w, r)
			return
		}
		if by := r.Header.Get(forwardedHeader); by != "" {
			unavailable(w, r, "The request was forwarded by "+by+" to a server that does not lead the control plane either; retry.")
			return
		}
		addr, leading := l.waitLeader(r.Context())
		switch {
		case leading:
			next.ServeHTTP(w, r)
		case addr == "":
			unavailable(w, r, "No server leads the control plane at the moment (one is elected within seconds); retry.")
		default:
			l.forward(w, r, addr)
		}
	})
}

// roleHeaders tell a health check which role the server has, and where
// the leader is: X-Cutover-Role (leader or follower) and
// X-Cutover-Leader, the leader's address when known.
func (l *leadership) roleHeaders(h http.Header) {
	if l.leading.Load() {
		h.Set("X-Cutover-Role", "leader")
		h.Set("X-Cutover-Leader", l.address)
		return
	}
	h.Set("X-Cutover-Role", "follower")
	if a := l.leader(); a != "" {
		h.Set("X-Cutover-Leader", a)
	}
}

// waitLeader returns the leader's address, or leading when this server
// took the lease meanwhile; "" when no leader appeared within leaderWait.
func (l *leadership) waitLeader(ctx context.Context) (addr string, leading bool) {
	ctx, cancel := context.WithTimeout(ctx, l.leaderWait)
	defer cancel()
	t := time.NewTicker(forwardPoll)
	defer t.Stop()
	for {
		if l.leading.Load() {
			return "", true
		}
		if a := l.leader(); a != "" {
			return a, false
		}
		select {
		case <-ctx.Done():
			return "", false
		case <-t.C:
		}
	}
}

// forward proxies r to the leader at addr.
func (l *leadership) forward(w http.ResponseWriter, r *http.Request, addr string) {
	u, err := url.Parse(addr)
	if err != nil {
		unavailable(w, r, "The leader's address "+addr+" is not a URL.")
		return
	}
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // the signature covers the Host the caller used
			pr.SetXForwarded()
			pr.Out.Header.Set(forwardedHeader, l.address)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			l.log.Warn("forward a write to the leader", "leader", addr, "err", err)
			unavailable(w, r, "The leader at "+addr+" could not be reached: "+err.Error()+"; retry.")
		},
	}
	p.ServeHTTP(w, r)
}

// isWrite reports whether r may change the control plane's state: an
// API action other than Describe*, List* and Get*, or a request of
// another method than GET and HEAD. It reads a query request's body to
// find its action, and puts it back.
func isWrite(r *http.Request) bool {
	action := ""
	switch t := r.Header.Get("X-Amz-Target"); {
	case t != "": // the JSON protocols (ECS, cutover's own, CloudWatch)
		action = t[strings.LastIndexByte(t, '.')+1:]
	case strings.Contains(r.URL.Path, "/operation/"): // CloudWatch's CBOR protocol
		action = r.URL.Path[strings.LastIndex(r.URL.Path, "/operation/")+len("/operation/"):]
	case isForm(r): // the query protocols (ELBv2, CloudWatch)
		body, err := io.ReadAll(io.LimitReader(r.Body, maxForwardBody))
		r.Body = readCloser{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		if err != nil {
			return true
		}
		form, _ := url.ParseQuery(string(body))
		if action = form.Get("Action"); action == "" {
			action = r.URL.Query().Get("Action")
		}
	default:
		return r.Method != http.MethodGet && r.Method != http.MethodHead
	}
	for _, read := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(action, read) {
			return false
		}
	}
	return true
}

// isForm reports whether r is a form POST.
func isForm(r *http.Request) bool {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return r.Method == http.MethodPost && err == nil && ct == "application/x-www-form-urlencoded" && r.Body != nil
}

// readCloser reads from r and closes c.
type readCloser struct {
	io.Reader
	c io.Closer
}

// Close closes the original body.
func (rc readCloser) Close() error { return rc.c.Close() }

// unavailable answers 503 in the shape of r's protocol: XML for the query
// protocols, JSON (ECS's ServerException) for the others.
func unavailable(w http.ResponseWriter, r *http.Request, msg string) {
	reqID := uuid.NewString()
	w.Header().Set("Retry-After", "1")
	if r.Header.Get("X-Amz-Target") == "" && isForm(r) {
		ns := "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
		if strings.Contains(r.Header.Get("Authorization"), "/monitoring/") {
			ns = "http://monitoring.amazonaws.com/doc/2010-08-01/"
		}
		awsquery.WriteError(w, ns, http.StatusServiceUnavailable, "ServiceUnavailable", msg, reqID)
		return
	}
	w.Header().Set("x-amzn-RequestId", reqID)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(w).Encode(map[string]string{"__type": "ServerException", "message": msg})
}
