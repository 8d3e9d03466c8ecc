package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// newProxy returns the reverse proxy that forwards requests to gr's
// targets. It keeps the client's Host header, appends the client's
// address to X-Forwarded-For, sets X-Forwarded-Proto and
// X-Forwarded-Port, and passes Upgrade (WebSocket) connections through.
func (b *Balancer) newProxy(gr *groupRoute) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      &groupTransport{b: b, gr: gr},
		ModifyResponse: keepCloseAfterChunked,
		BufferPool:     b.buffers,
		ErrorLog:       b.errorLog,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			b.proxyError(gr, w, r, err)
		},
	}
}

// rewrite prepares the outbound request; its URL's host is set by
// groupTransport for each attempt.
func rewrite(pr *httputil.ProxyRequest) {
	out, in := pr.Out, pr.In
	linkBody(out, in)
	out.URL.Scheme = "http"
	out.URL.Host = ""
	h := out.Header
	client, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		client = in.RemoteAddr
	}
	if prior := in.Header["X-Forwarded-For"]; len(prior) > 0 {
		client = strings.Join(prior, ", ") + ", " + client
	}
	h["X-Forwarded-For"] = []string{client}
	if in.TLS != nil {
		h["X-Forwarded-Proto"] = protoHTTPS
	} else {
		h["X-Forwarded-Proto"] = protoHTTP
	}
	if a, ok := in.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		h["X-Forwarded-Port"] = []string{strconv.Itoa(a.Port)}
	}
}

var (
	protoHTTP  = []string{"http"}
	protoHTTPS = []string{"https"}
)

// proxyError answers a request the proxy could not complete: 408 when
// the client stopped sending its body for the idle timeout, 400 when the
// body ended early or was malformed (both close the connection), 503
// when the group has no target, 504 when the target did not connect or
// answer in time, 502 otherwise. It counts the answer as the load
// balancer's own. When the client went away (ELBv2's 460) it answers
// nothing and cuts the connection: a client that only closed its sending
// side must not read a 502 the target did not cause.
func (b *Balancer) proxyError(gr *groupRoute, w http.ResponseWriter, r *http.Request, err error) {
	switch clientBodyFailure(r) {
	case bodyTimeout:
		b.clientBodyError(gr, w, r, http.StatusRequestTimeout, "408 Request Timeout: the request body stopped coming\n", err)
		return
	case bodyBroken:
		b.clientBodyError(gr, w, r, http.StatusBadRequest, "400 Bad Request: the request body is incomplete or malformed\n", err)
		return
	}
	status, msg := failureStatus(err)
	if r.Context().Err() != nil {
		b.log.Debug("client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		gr.m.elbError(statusClientClosed)
		gr.lb.elbError(statusClientClosed)
		panic(http.ErrAbortHandler)
	}
	b.log.Warn("proxy error", "method", r.Method, "host", r.Host, "path", r.URL.Path, "status", status, "error", err)
	gr.m.elbError(status)
	gr.lb.elbError(status)
	writeStatus(w, status, msg)
}

// failureStatus is the answer to a request no target answered because
// of err: 503 when the group has no target, 504 when the target did not
// connect or answer in time, 502 otherwise.
func failureStatus(err error) (int, string) {
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, errNoTarget):
		return http.StatusServiceUnavailable, "503 Service Unavailable: no target available\n"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &te) && te.Timeout():
		return http.StatusGatewayTimeout, "504 Gateway Timeout: the target did not answer in time\n"
	}
	return http.StatusBadGateway, "502 Bad Gateway: the target did not answer properly\n"
}

// clientBodyError answers a request whose body the client failed to
// send, counted as the load balancer's own client error, and closes the
// connection: what follows on it cannot be framed.
func (b *Balancer) clientBodyError(gr *groupRoute, w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	b.log.Debug("client body failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err)
	gr.m.elbError(status)
	gr.lb.elbError(status)
	w.Header().Set("Connection", "close")
	writeStatus(w, status, msg)
}

// statusClientClosed is ELBv2's status of a request whose client closed
// the connection before the load balancer could answer.
const statusClientClosed = 460

// writeStatus sends a short plain-text answer.
func writeStatus(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg))
}

// bufferPool recycles the proxy's copy buffers.
type bufferPool struct{ p sync.Pool }

const copyBufferSize = 32 << 10

// Get returns a copy buffer.
func (bp *bufferPool) Get() []byte {
	if v, ok := bp.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, copyBufferSize)
}

// Put returns a copy buffer to the pool.
func (bp *bufferPool) Put(buf []byte) {
	if cap(buf) == copyBufferSize {
		buf = buf[:copyBufferSize]
		bp.p.Put(&buf)
	}
}

// groupTransport sends a request to one of its group's targets, round
// robin, and retries idempotent requests on another target when the
// connection cannot be established. It counts the responses and their
// time, and the connection errors, for the target group and its load
// balancer.
type groupTransport struct {
	b  *Balancer
	gr *groupRoute
}

// RoundTrip implements http.RoundTripper. It returns errNoTarget when
// the group has no routable target.
func (gt *groupTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g := gt.gr.groupSnap
	rt := gt.b.h1
	if g.spec.http2 {
		rt = gt.b.h2
	}
	var body *replayBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &replayBody{rc: req.Body}
		req.Body = body
	}
	var lastErr error
	for t := range g.attempts() {
		req.URL.Host = t.addr
		t.requests.Add(1)
		t.inFlight.Add(1)
		start := time.Now()
		res, err := rt.RoundTrip(req)
		if err == nil {
			end := time.Now()
			d, sec := end.Sub(start), end.Unix()
			gt.gr.m.observe(res.StatusCode, d, sec)
			gt.gr.lb.observe(res.StatusCode, d, sec)
			t.countStatus(res.StatusCode)
			res.Body = trackBody(res.Body, t)
			return res, nil
		}
		t.inFlight.Add(-1)
		t.errs.Add(1)
		if de := (*dialError)(nil); errors.As(err, &de) {
			gt.gr.m.connErrs.Add(1)
			gt.gr.lb.connErrs.Add(1)
		}
		lastErr = err
		if !retryable(req, err, body) {
			return nil, err
		}
		gt.b.log.Debug("retrying on another target", "targetGroup", g.arn, "target", t.addr, "error", err)
	}
	if lastErr == nil {
		return nil, errNoTarget
	}
	return nil, lastErr
}

// retryable reports whether a failed attempt may be repeated on another
// target: the method is idempotent, the connection was never
// established and no byte of the body was consumed.
func retryable(req *http.Request, err error, body *replayBody) bool {
	if !idempotent(req.Method) {
		return false
	}
	var de *dialError
	if !errors.As(err, &de) || req.Context().Err() != nil {
		return false
	}
	return body == nil || !body.touched.Load()
}

// idempotent reports whether requests of method may be sent again after
// an attempt that never reached the target.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodTrace:
		return true
	}
	return false
}

// replayBody wraps a request body so that it survives a failed
// connection attempt: it records whether it was read and ignores Close
// (the server closes the client's body when the handler returns).
type replayBody struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

// Read reads the client's body and records that it was read.
func (r *replayBody) Read(p []byte) (int, error) {
	r.touched.Store(true)
	return r.rc.Read(p)
}

// Close does nothing: the body may be sent again to another target.
func (r *replayBody) Close() error { return nil }

// trackBody wraps a response body so that the target's in-flight count
// drops when the proxy is done with it. Upgraded connections keep their
// io.Writer.
func trackBody(rc io.ReadCloser, t *target) io.ReadCloser {
	if rwc, ok := rc.(io.ReadWriteCloser); ok {
		return &trackedConn{trackedBody{ReadCloser: rwc, t: t}, rwc}
	}
	return &trackedBody{ReadCloser: rc, t: t}
}

type trackedBody struct {
	io.ReadCloser
	t    *target
	done atomic.Bool
}

// Close closes the body and ends the target's in-flight request once.
func (b *trackedBody) Close() error {
	if b.done.CompareAndSwap(false, true) {
		b.t.inFlight.Add(-1)
	}
	return b.ReadCloser.Close()
}

type trackedConn struct {
	trackedBody
	w io.Writer
}

// Write writes to the upgraded connection to the target.
func (c *trackedConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// dialError marks an error that happened while connecting to a target,
// before any byte of the request was sent.
type dialError struct{ err error }

// Error implements error.
func (e *dialError) Error() string { return "connect to target: " + e.err.Error() }

// Unwrap returns the dialer's error.
func (e *dialError) Unwrap() error { return e.err }

// Timeout reports whether the connection attempt timed out.
func (e *dialError) Timeout() bool {
	var te interface{ Timeout() bool }
	return errors.As(e.err, &te) && te.Timeout()
}

// newTransports returns the transports to HTTP/1.1 and to h2c targets.
func newTransports(o Options) (h1, h2 *http.Transport) {
	d := &net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, &dialError{err}
		}
		return c, nil
	}
	base := func() *http.Transport {
		return &http.Transport{
			Proxy:                 nil,
			DialContext:           dial,
			MaxIdleConns:          0,
			MaxIdleConnsPerHost:   o.MaxIdleConnsPerTarget,
			IdleConnTimeout:       o.IdleTimeout,
			ResponseHeaderTimeout: o.RequestTimeout,
			ExpectContinueTimeout: time.Second,
			DisableCompression:    true,
		}
	}
	h1, h2 = base(), base()
	h2.Protocols = new(http.Protocols)
	h2.Protocols.SetUnencryptedHTTP2(true)
	return h1, h2
}
