// Package dashboard is cutover's web dashboard, served at /ui/: a
// single-page app (plain HTML, CSS and JavaScript embedded in the
// binary) that shows clusters, services and deployments as they happen,
// and acts on them with the same API every client uses.
//
// Its server side, under /ui/api/, is small:
//
//   - POST /ui/api/call runs one ECS or cutover operation (X-Amz-Target
//     header, JSON body) through ecsapi.API.Call, with the dashboard user
//     as the actor of the audit trail, and answers as the API does;
//   - GET /ui/api/events is the event stream (package events);
//   - GET /ui/api/metrics is a target group's request and 5xx counts
//     from the load balancer's metrics (package metrics);
//   - GET /ui/api/session, POST /ui/api/signin and POST /ui/api/signout
//     manage the sign-in.
//
// When the server has access keys (package accesskeys) everything but
// the page, its assets and the sign-in requires a session: a random ID in
// an HttpOnly, SameSite=Strict cookie, kept in memory. Without keys the
// dashboard is open and its user is "local". In both modes every request
// that changes something must come from the dashboard's own origin
// (Sec-Fetch-Site or Origin) and carry the CSRF token of its session, or
// of its browser cookie, in the X-CSRF-Token header: a server on
// localhost is reachable by the JavaScript of any web page.
package dashboard
