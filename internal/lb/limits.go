package lb

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// MaxHeaderBytes bounds the request line and header fields of a client
// request, as ELBv2's 64 KB limit on a request's headers; a larger one is
// answered 431 and its connection closed. (net/http allows 4 KB of slack
// on top of it.)
const MaxHeaderBytes = 64 << 10

// Client body failures recorded by clientBody.
const (
	bodyOK      int32 = iota
	bodyTimeout       // the client sent nothing for the idle timeout
	bodyBroken        // the body ended early or was malformed
)

// clientBody is a client request body that must keep coming: each read
// waits at most idle for data (ELBv2's idle timeout), so that a client
// that stops sending its body (a slowloris on the body) cannot hold a
// target connection for ever. It records how a read failed, so that the
// proxy answers the client's failure as the client's (408 or 400), not
// as the target's (502).
type clientBody struct {
	rc   io.ReadCloser
	ctl  *http.ResponseController
	idle time.Duration
	// failed is bodyOK, bodyTimeout or bodyBroken; the transport reads
	// the body on its own goroutine.
	failed atomic.Int32
	// reading is held during a read, so that clientBodyFailure can wait
	// for a read that is failing.
	reading sync.Mutex
	// proxied is the body of the request the proxy sends, which leads
	// back here from the proxy's error handler (see linkBody).
	proxied proxiedBody
}

// proxiedBody is the body of an outbound request that reads a
// clientBody, through the reverse proxy's own wrapper.
type proxiedBody struct {
	rc io.ReadCloser
	cb *clientBody
}

// Read reads the client's body.
func (p *proxiedBody) Read(b []byte) (int, error) { return p.rc.Read(b) }

// Close closes the reverse proxy's wrapper.
func (p *proxiedBody) Close() error { return p.rc.Close() }

// linkBody makes the outbound request out of in (the Rewrite's) lead to
// in's clientBody, which httputil.ReverseProxy hides behind a wrapper of
// its own: clientBodyFailure finds it from the request the proxy's error
// handler gets.
func linkBody(out, in *http.Request) {
	if cb, ok := in.Body.(*clientBody); ok && out.Body != nil {
		cb.proxied = proxiedBody{rc: out.Body, cb: cb}
		out.Body = &cb.proxied
	}
}

// watchBody wraps r's body, when it has one, in a clientBody whose reads
// time out after idle without data. The read deadline is the client
// connection's, set through w.
func watchBody(w http.ResponseWriter, r *http.Request, idle time.Duration) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &clientBody{rc: r.Body, ctl: http.NewResponseController(w), idle: idle}
}

// Read reads the client's body, waiting at most the idle timeout for
// data. When the body ends it clears the read deadline: the server keeps
// reading the connection after the body (to notice the client going
// away) and that read must not time out while the target takes its time
// to answer. After a timeout the deadline stays, so that nothing waits
// on that client again.
func (b *clientBody) Read(p []byte) (int, error) {
	b.reading.Lock()
	defer b.reading.Unlock()
	// A connection that cannot take deadlines (none in net/http today)
	// keeps only the server's own timeouts.
	_ = b.ctl.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.rc.Read(p)
	if err != nil {
		switch {
		case errors.Is(err, io.EOF):
			_ = b.ctl.SetReadDeadline(time.Time{})
		case errors.Is(err, os.ErrDeadlineExceeded):
			b.failed.CompareAndSwap(bodyOK, bodyTimeout)
		default:
			b.failed.CompareAndSwap(bodyOK, bodyBroken)
		}
	}
	return n, err
}

// Close closes the client's body.
func (b *clientBody) Close() error { return b.rc.Close() }

// clientBodyFailure returns how the client's body of r, a request the
// proxy sent (its body possibly wrapped by groupTransport), failed:
// bodyOK, bodyTimeout or bodyBroken.
//
// A failing read of the client's connection cancels the request's
// context before the read returns, so the proxy may give up before the
// body records the failure: once the context is done, it waits for a
// read in flight, which is then returning.
func clientBodyFailure(r *http.Request) int32 {
	body := r.Body
	if rb, ok := body.(*replayBody); ok {
		body = rb.rc
	}
	pb, ok := body.(*proxiedBody)
	if !ok {
		return bodyOK
	}
	cb := pb.cb
	if r.Context().Err() != nil {
		cb.reading.Lock()
		defer cb.reading.Unlock()
	}
	return cb.failed.Load()
}

// clientWriter is the ResponseWriter a forwarded request is answered
// through. Each write and flush to the client must finish within idle
// (ELBv2's idle timeout: no data moved for that long), so that a client
// that stops reading a response (a slow reader) cannot hold the proxy and
// its target connection for ever: the write fails, the proxy aborts and
// both connections close. A response that keeps moving is never cut,
// however long it lasts, and a stream that is quiet between writes is not
// timed: the deadline is cleared after each write, so none is left
// pending between writes or for the connection's next request.
type clientWriter struct {
	http.ResponseWriter
	// dl sets the client connection's write deadline; nil when the
	// writer cannot take one (none in net/http today).
	dl   writeDeadliner
	idle time.Duration
	// answered is set once the proxy answered through w, rather than
	// hijacked the connection for an upgrade.
	answered bool
}

// writeDeadliner is a ResponseWriter that takes write deadlines, as
// net/http's HTTP/1 and HTTP/2 writers do.
type writeDeadliner interface {
	SetWriteDeadline(time.Time) error
}

// watchWrites wraps w so that each write to the client must finish
// within idle.
func watchWrites(w http.ResponseWriter, idle time.Duration) *clientWriter {
	dl, _ := w.(writeDeadliner)
	return &clientWriter{ResponseWriter: w, dl: dl, idle: idle}
}

// Write writes to the client, failing if that takes longer than the idle
// timeout.
func (w *clientWriter) Write(p []byte) (int, error) {
	w.answered = true
	w.arm()
	n, err := w.ResponseWriter.Write(p)
	if err == nil {
		w.disarm()
	}
	return n, err
}

// WriteHeader sends the response's header (buffered until a write or a
// flush).
func (w *clientWriter) WriteHeader(code int) {
	w.answered = true
	w.ResponseWriter.WriteHeader(code)
}

// FlushError sends what is buffered to the client under the same
// deadline; httputil.ReverseProxy flushes through it.
func (w *clientWriter) FlushError() error {
	w.arm()
	var err error
	switch f := w.ResponseWriter.(type) {
	case interface{ FlushError() error }:
		err = f.FlushError()
	case http.Flusher:
		f.Flush()
	default:
		err = http.ErrNotSupported
	}
	if err == nil {
		w.disarm()
	}
	return err
}

// Flush is FlushError for callers that want an http.Flusher.
func (w *clientWriter) Flush() { _ = w.FlushError() }

// finish flushes the end of the response under the deadline once the
// proxy is done, rather than leave it to the server's final flush, which
// has none. An upgraded (hijacked) connection is no longer the server's
// to flush.
func (w *clientWriter) finish() {
	if w.answered {
		_ = w.FlushError()
	}
}

// Unwrap gives http.ResponseController the client's writer, to hijack
// an upgraded connection or set its deadlines.
func (w *clientWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *clientWriter) arm() {
	if w.dl != nil {
		_ = w.dl.SetWriteDeadline(time.Now().Add(w.idle))
	}
}

func (w *clientWriter) disarm() {
	if w.dl != nil {
		_ = w.dl.SetWriteDeadline(time.Time{})
	}
}
