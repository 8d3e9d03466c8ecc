// Package lb is cutover's built-in L7 load balancer: the data plane that
// `cutover lb` (package lbserver) runs as its own process, configured by
// the control plane through Client.
//
// A Balancer serves the Config last applied. Apply validates the Config
// and compiles it into an immutable snapshot (rules sorted by priority
// with compiled ELBv2 wildcard patterns, cumulative weight tables for
// forward actions), binds the listener addresses that are new, and only
// then swaps the snapshot in with one atomic pointer store; a request
// loads the snapshot once, so it routes by the old configuration or the
// new one, never a mix. Listeners whose address stays keep their socket.
//
// Targets are live objects kept in a registry outside the snapshots and
// keyed by target group ARN and host:port, so that health, counters and
// in-flight requests survive Applies. Each target has an active HTTP
// health checker (ELBv2 thresholds, matcher and reason codes); a target
// group routes to its healthy targets, or to all of them when none is
// healthy (fail-open). A target that leaves the Config drains: it gets
// no new request and is dropped after its group's deregistration delay.
//
// HTTPS listeners terminate TLS with the certificate files their
// ListenerTLS names, read by this process and reloaded when renewed
// (package certs), and the TLS versions of their ELBv2 security policy.
// A bound address wraps each accepted connection in TLS or not as the
// current snapshot's listener says, so Apply changes a listener's
// protocol or certificate without rebinding its port.
//
// Plain HTTP/1.1 requests take a fast path (h1serve.go, h1forward.go)
// that parses the request head itself, routes it, and writes it to a
// pooled keep-alive connection to the target from the connection's own
// goroutine, with no allocation per request: the load balancer's hot
// path. Everything else is handed, with the bytes read so far, to the
// listener's net/http server and proxied with
// net/http/httputil.ReverseProxy: TLS, HTTP/2 from clients (h2 over TLS,
// h2c), requests with a chunked body, Expect, Upgrade (WebSocket
// passthrough), HTTP/1.0, unusual request targets or header syntax, and
// requests for HTTP2 (h2c) target groups. Both paths add
// X-Forwarded-For/-Proto/-Port, retry an idempotent request on another
// target when the connection to its target was refused, and count
// alike.
//
// Clients are bounded (limits.go): request headers to MaxHeaderBytes
// (64 KB, else 431) within Options.ReadHeaderTimeout (30 s); a request
// body that stops coming for Options.IdleTimeout (ELBv2's idle timeout,
// 60 s) is answered 408; and a client that stops reading a response is
// cut off once a write to it has made no progress for the same idle
// timeout, closing the target connection too. A response that keeps
// moving is never cut, however long it lasts.
//
// Traffic is counted for ELBv2's CloudWatch metrics (Metrics): per load
// balancer (the one a listener's ARN names) and per target group as each
// load balancer forwards to it, requests, target responses by status
// class, the balancer's own 4xx/5xx answers, connection errors and
// target response time with per-second extremes. The counters are
// atomics reached from the snapshot, so counting takes no lock and no
// allocation; they are cumulative and the control plane reads them
// periodically (package lbmetrics).
package lb
