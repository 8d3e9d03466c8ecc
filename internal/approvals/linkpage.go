package approvals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/store"
)

// nonceRecord is the use of a link token's nonce, stored under the nonce.
type nonceRecord struct {
	Link       string                            `json:"link"`
	Deployment string                            `json:"deployment"`
	Hook       string                            `json:"hook"`
	Action     ecs.DeploymentLifecycleHookAction `json:"action"`
	UsedAt     time.Time                         `json:"usedAt"`
	// ExpiresAt is the token's expiry: the record is of no use after it.
	expiring
}

// serveLink serves the approve and roll back URLs, LinksPath + token. A
// GET (or HEAD) only shows what the link would do, with a button that
// POSTs to the same URL: link previews and prefetchers never act. The
// POST uses the link, once, and answers the hook through the API as
// actor kind link, ID the link's name. A forged, expired or used token
// gets a page saying so with a 4xx status.
func (a *Approvals) serveLink(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		a.page(w, r, &page{Status: http.StatusMethodNotAllowed, Title: "Method not allowed", Lead: "Open the link in a browser."})
		return
	}
	tok := strings.TrimPrefix(r.URL.Path, LinksPath)
	c, err := verify(tok, a.tokenKey, a.now())
	switch {
	case errors.Is(err, errForged):
		a.log.Warn("refused an approval link", "remote", r.RemoteAddr, "err", err)
		a.page(w, r, &page{Status: http.StatusForbidden, Title: "This approval link is not valid",
			Lead: "It may have been cut short when it was copied, or it was not made by this server. Nothing was done."})
		return
	case errors.Is(err, errExpired):
		a.page(w, r, &page{Status: http.StatusGone, Title: "This approval link expired",
			Lead: fmt.Sprintf("It stopped working at %s. Nothing was done.", clock(c.expires()))})
		return
	case err != nil:
		a.serverError(w, r, err)
		return
	}
	var used nonceRecord
	found, err := a.getRecord(r.Context(), tableNonces, c.Nonce, &used)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if found {
		a.page(w, r, usedPage(&used))
		return
	}
	s, err := a.summaryOf(r.Context(), c.Deployment, c.Hook)
	if errors.Is(err, errGone) {
		a.page(w, r, &page{Status: http.StatusNotFound, Title: "This deployment no longer exists", Lead: "Nothing was done."})
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if r.Method != http.MethodPost {
		a.page(w, r, confirmPage(s, c.Action))
		return
	}
	a.useLink(w, r, c)
}

// useLink answers the hook of c, once: the nonce is recorded first, and
// released again only if the server failed.
func (a *Approvals) useLink(w http.ResponseWriter, r *http.Request, c *claims) {
	ctx := r.Context()
	use := nonceRecord{Link: c.Link, Deployment: c.Deployment, Hook: c.Hook, Action: c.Action, UsedAt: a.now(),
		expiring: expiring{ExpiresAt: c.expires()}}
	var prev nonceRecord
	claimed := false
	err := a.st.Update(ctx, func(tx store.Tx) error {
		err := store.GetJSON(tx, tableNonces, c.Nonce, &prev)
		if !errors.Is(err, store.ErrNotFound) {
			return err // nil: used already
		}
		claimed = true
		return store.PutJSON(tx, tableNonces, c.Nonce, &use)
	})
	if err != nil {
		a.serverError(w, r, fmt.Errorf("record the use of an approval link: %w", err))
		return
	}
	if !claimed {
		a.page(w, r, usedPage(&prev))
		return
	}
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	actor := audit.Actor{Kind: audit.KindLink, ID: c.Link, Address: addr}
	err = a.resolve(ctx, actor, c.Deployment, c.Hook, c.Action)
	if err != nil {
		status, _, msg := ecsapi.ErrorResponse(err)
		if status >= 500 {
			if derr := a.st.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return tx.Delete(tableNonces, c.Nonce) }); derr != nil {
				a.log.Error("release an approval link's nonce", "err", derr)
			}
			a.serverError(w, r, err)
			return
		}
		a.page(w, r, &page{Status: http.StatusConflict, Title: "Nothing was done", Lead: msg})
		return
	}
	p := &page{Status: http.StatusOK, Title: "Approved", Lead: "The deployment moves on."}
	if c.Action == ecs.DeploymentLifecycleHookActionRollback {
		p.Title, p.Lead = "Rolled back", "The deployment rolls back."
	}
	if s, err := a.summaryOf(ctx, c.Deployment, c.Hook); err == nil {
		p.Summary = s
		p.Lead = s.outcome().plain()
	}
	a.page(w, r, p)
}

// tokenKey returns the key of a link's tokens, or nil for no such link.
func (a *Approvals) tokenKey(link string) []byte {
	if l := a.links[link]; l != nil {
		return l.key
	}
	return nil
}

// confirmPage asks to confirm the action on the hook s; a hook that no
// longer awaits an action gets a 409 saying how it ended.
func confirmPage(s *summary, action ecs.DeploymentLifecycleHookAction) *page {
	if !s.Awaiting {
		return &page{Status: http.StatusConflict, Title: "Nothing to do", Summary: s,
			Lead: "The deployment no longer waits for this answer. " + s.outcome().plain()}
	}
	if action == ecs.DeploymentLifecycleHookActionRollback {
		return &page{Status: http.StatusOK, Title: "Roll back " + s.Service + "?", Summary: s, Button: "Roll back", Danger: true,
			Lead: fmt.Sprintf("The deployment of %s to %s (cluster %s), paused at %s, is rolled back to %s.",
				s.To, s.Service, s.Cluster, s.StageText(), strings.Join(s.From, ", "))}
	}
	return &page{Status: http.StatusOK, Title: "Approve " + s.Service + "?", Summary: s, Button: "Approve",
		Lead: fmt.Sprintf("The deployment of %s to %s (cluster %s), paused at %s, moves on to its next stage.",
			s.To, s.Service, s.Cluster, s.StageText())}
}

// usedPage says the link was used already.
func usedPage(u *nonceRecord) *page {
	what := "approve"
	if u.Action == ecs.DeploymentLifecycleHookActionRollback {
		what = "roll back"
	}
	return &page{Status: http.StatusGone, Title: "This approval link was used already",
		Lead: fmt.Sprintf("A link of this request was used to %s at %s; each works once. Nothing was done.", what, clock(u.UsedAt))}
}

// page is what the link endpoint shows.
type page struct {
	Status  int
	Title   string
	Lead    string
	Summary *summary
	// Button, when set, is the label of the button that POSTs.
	Button string
	Danger bool
}

func (a *Approvals) serverError(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("serve an approval link", "err", err)
	a.page(w, r, &page{Status: http.StatusServiceUnavailable, Title: "Something went wrong",
		Lead: "The server could not do this now; nothing was done. Try again in a moment."})
}

// page writes p. The page must not be cached, framed or indexed, and
// its URL (the token) must not leak through the Referer header.
func (a *Approvals) page(w http.ResponseWriter, r *http.Request, p *page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		a.log.Error("render an approval page", "err", err)
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(p.Status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"clock": clock}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}} · cutover</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2530; }
main { max-width: 40rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
h1 { font-size: 1.4rem; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; }
th { text-align: left; padding: .2rem 1rem .2rem 0; color: #5b6470; font-weight: normal; vertical-align: top; }
td { padding: .2rem 0; word-break: break-all; }
button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #1f7a3a; color: #fff; cursor: pointer; }
button.danger { background: #b42318; }
.small { color: #5b6470; font-size: .875rem; }
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p>{{.Lead}}</p>
{{with .Summary}}<table>
<tr><th>Service</th><td>{{.Service}}</td></tr>
<tr><th>Cluster</th><td>{{.Cluster}}</td></tr>
<tr><th>Task definition</th><td>{{.Change}}</td></tr>
<tr><th>Stage</th><td>{{.StageText}}</td></tr>
{{if .TestURL}}<tr><th>Test listener</th><td>{{.TestURL}}</td></tr>{{end}}
{{if .Awaiting}}<tr><th>Waits until</th><td>{{clock .ExpiresAt}}, then {{.TimeoutAction}}</td></tr>{{end}}
<tr><th>Deployment</th><td>{{.DeploymentArn}}</td></tr>
</table>{{end}}
{{if .Button}}<form method="post">
<button type="submit"{{if .Danger}} class="danger"{{end}}>{{.Button}}</button>
</form>
<p class="small">Nothing happens until you press the button. The link works once.</p>{{end}}
</main>
</body>
</html>
`))
