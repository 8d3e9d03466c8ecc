package lb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"time"
)

// outcome is what the fast path does with a connection after a request.
type outcome int

const (
	outcomeKeep     outcome = iota // serve the next request
	outcomeClose                   // close the connection
	outcomeHandOver                // give the connection to net/http
)

// watchAfter is how long the fast path waits for a target's response
// before it also watches the client connection for a close (ELBv2's
// 460): most responses come sooner, and need no watcher goroutine.
const watchAfter = 50 * time.Millisecond

// maxResponseHead bounds a target's response head.
const maxResponseHead = 1 << 20

// aLongTimeAgo is a deadline in the past, to wake a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// serveRequest answers the request in c.req: a fixed response, or a
// forward to a target group picked by weight. It counts the request as
// listenerHandler does.
func (c *h1conn) serveRequest() outcome {
	l := c.b.snap.Load().listeners[c.bl.address]
	if l == nil {
		c.answer(http.StatusServiceUnavailable, "503 Service Unavailable: listener is being removed\n", true)
		return outcomeClose
	}
	a := l.routeBy(&c.req)
	var g *groupRoute
	if a.fixed == nil {
		if g = a.pickGroup(); g != nil && g.spec.http2 {
			return outcomeHandOver
		}
	}
	l.lb.requests.Add(1)
	switch {
	case a.fixed != nil:
		f := a.fixed
		l.lb.fixed.Add(1)
		l.lb.elbError(f.code)
		return c.finish(f.code, f.contentType[0], f.body)
	case g == nil:
		l.lb.elbError(http.StatusServiceUnavailable)
		return c.finish(http.StatusServiceUnavailable, textPlain, []byte("503 Service Unavailable: no target group to forward to\n"))
	}
	g.m.requests.Add(1)
	return c.forward(g)
}

// finish answers the request with a response of the load balancer's
// own and says what follows: the connection closes when the client asked
// for it or the request's body may be left unread.
func (c *h1conn) finish(code int, contentType string, body []byte) outcome {
	closing := c.req.close || c.req.length > 0
	c.writeAnswer(code, contentType, body, closing)
	if closing {
		return outcomeClose
	}
	return outcomeKeep
}

// forward sends the request to one of g's targets, round robin, trying
// idempotent requests on another target when the connection cannot be
// established, and passes the response back.
func (c *h1conn) forward(g *groupRoute) outcome {
	lastErr := errNoTarget
	for t := range g.attempts() {
		t.requests.Add(1)
		o, err := c.exchange(g, t)
		if err == nil {
			return o
		}
		t.errs.Add(1)
		lastErr = err
		var de *dialError
		if !errors.As(err, &de) {
			break
		}
		g.m.connErrs.Add(1)
		g.lb.connErrs.Add(1)
		if !c.req.idempotent() {
			break
		}
		c.b.log.Debug("retrying on another target", "targetGroup", g.arn, "target", t.addr, "error", err)
	}
	status, msg := failureStatus(lastErr)
	if !errors.Is(lastErr, errNoTarget) {
		c.b.log.Warn("proxy error", "method", c.req.method(), "host", c.req.host(), "path", c.req.path(), "status", status, "error", lastErr)
	}
	g.m.elbError(status)
	g.lb.elbError(status)
	return c.finish(status, textPlain, []byte(msg))
}

// exchange sends the request to t and passes its response back. An
// error means the target gave no response and the client was answered
// nothing: the caller answers or retries.
func (c *h1conn) exchange(g *groupRoute, t *target) (outcome, error) {
	t.inFlight.Add(1)
	defer t.inFlight.Add(-1)
	b := c.b
	uc := t.pool.get(b.opts.IdleTimeout)
	reused := uc != nil
	for {
		if !reused {
			var err error
			if uc, err = b.dialTarget(t); err != nil {
				return 0, err
			}
		}
		start := time.Now()
		o, done, err := c.send(g, uc)
		if done {
			return o, nil
		}
		gone := false
		if err == nil {
			gone, err = c.awaitResponse(uc, start)
		}
		if gone {
			_ = uc.c.Close()
			b.log.Debug("client went away", "method", c.req.method(), "path", c.req.path())
			g.m.elbError(statusClientClosed)
			g.lb.elbError(statusClientClosed)
			return outcomeClose, nil
		}
		if err == nil {
			// Past this point nothing is sent again: the target has
			// begun to answer.
			res, err := c.finalResponse(uc)
			if err != nil {
				_ = uc.c.Close()
				return 0, err
			}
			return c.relay(g, t, uc, &res, start), nil
		}
		_ = uc.c.Close()
		// A kept-alive connection the target closed meanwhile: a
		// request without a body is sent again on a new one.
		if reused && !isTimeout(err) && c.req.length == 0 && c.req.idempotent() {
			reused = false
			continue
		}
		return 0, err
	}
}

// send writes the request head, with the forwarding headers, and its
// body to uc. done means the exchange is over: the client's body
// failed and was answered (408 or 400), and o says what follows.
func (c *h1conn) send(g *groupRoute, uc *upConn) (o outcome, done bool, err error) {
	r, w := &c.req, uc.bw
	w.Write(r.methodB)
	w.WriteByte(' ')
	w.Write(r.target)
	w.WriteString(" HTTP/1.1\r\n")
	for _, h := range r.headers {
		if hopByHop(h.name) || is(h.name, "x-forwarded-for") || is(h.name, "x-forwarded-proto") || is(h.name, "x-forwarded-port") {
			continue
		}
		w.Write(h.name)
		w.WriteString(": ")
		w.Write(h.value)
		w.WriteString("\r\n")
	}
	w.WriteString("X-Forwarded-For: ")
	if len(r.xff) > 0 {
		w.Write(r.xff)
		w.WriteString(", ")
	}
	w.Write(c.client)
	w.WriteString("\r\nX-Forwarded-Proto: http\r\n")
	if len(c.port) > 0 {
		w.WriteString("X-Forwarded-Port: ")
		w.Write(c.port)
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	for n := r.length; n > 0; {
		if c.br.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return 0, false, err
			}
			_ = c.nc.SetReadDeadline(time.Now().Add(c.b.opts.IdleTimeout))
			if _, err := c.br.Peek(1); err != nil {
				_ = uc.c.Close()
				c.bodyFailed(g, err)
				return outcomeClose, true, nil
			}
		}
		p, _ := c.br.Peek(int(min(int64(c.br.Buffered()), n)))
		w.Write(p)
		_, _ = c.br.Discard(len(p))
		n -= int64(len(p))
	}
	return 0, false, w.Flush()
}

// bodyFailed answers a request whose body the client failed to send:
// 408 when it stopped coming for the idle timeout, 400 when it ended
// early. Both are counted as the load balancer's own.
func (c *h1conn) bodyFailed(g *groupRoute, err error) {
	status, msg := http.StatusBadRequest, "400 Bad Request: the request body is incomplete or malformed\n"
	if isTimeout(err) {
		status, msg = http.StatusRequestTimeout, "408 Request Timeout: the request body stopped coming\n"
	}
	c.b.log.Debug("client body failed", "method", c.req.method(), "path", c.req.path(), "status", status, "error", err)
	g.m.elbError(status)
	g.lb.elbError(status)
	c.answer(status, msg, true)
}

// awaitResponse waits until the response head starts arriving, at most
// the request timeout after start. When the target takes longer than
// watchAfter it watches the client too: gone reports that the client
// closed its connection meanwhile.
func (c *h1conn) awaitResponse(uc *upConn, start time.Time) (gone bool, err error) {
	timeout := c.b.opts.RequestTimeout
	first := min(watchAfter, timeout)
	_ = uc.c.SetReadDeadline(start.Add(first))
	if _, err = uc.br.Peek(1); err == nil || !isTimeout(err) || first == timeout {
		return false, err
	}
	_ = uc.c.SetReadDeadline(start.Add(timeout))
	_ = c.nc.SetReadDeadline(time.Time{})
	watched := make(chan bool, 1)
	go func() {
		_, err := c.br.Peek(1)
		gone := err != nil && !isTimeout(err)
		if gone {
			_ = uc.c.SetReadDeadline(aLongTimeAgo)
		}
		watched <- gone
	}()
	_, err = uc.br.Peek(1)
	_ = c.nc.SetReadDeadline(aLongTimeAgo)
	return <-watched, err
}

// finalResponse reads the target's response head, passing informational
// answers (100, 103) on to the client as they come.
func (c *h1conn) finalResponse(uc *upConn) (response, error) {
	for {
		res, err := c.readResponse(uc)
		switch {
		case err != nil:
			return res, err
		case res.code == http.StatusSwitchingProtocols:
			return res, errors.New("101 Switching Protocols to a request that asked for no upgrade")
		case res.code >= 200:
			return res, nil
		}
		c.writeHead(&res, false, false)
		if err := c.bw.Flush(); err != nil {
			return res, fmt.Errorf("pass on an informational response: %w", err)
		}
	}
}

// relay passes the response whose head is res on to the client, then
// returns uc to t's pool if it can carry another request.
func (c *h1conn) relay(g *groupRoute, t *target, uc *upConn, res *response, start time.Time) outcome {
	_ = uc.c.SetReadDeadline(time.Time{})
	end := time.Now()
	d, sec := end.Sub(start), end.Unix()
	g.m.observe(res.code, d, sec)
	g.lb.observe(res.code, d, sec)
	t.countStatus(res.code)

	noBody := string(c.req.methodB) == http.MethodHead || res.code == http.StatusNoContent || res.code == http.StatusNotModified
	chunkOut := !noBody && (res.chunked || res.length < 0)
	c.writeHead(res, chunkOut, c.req.close)
	var err error
	switch {
	case noBody:
		err = c.bw.Flush()
	case res.chunked:
		err = c.relayChunks(httputil.NewChunkedReader(uc.br), uc.br)
		if err == nil {
			err = skipTrailers(uc.br)
		}
	case res.length < 0:
		err = c.relayChunks(uc.br, uc.br)
		res.close = true
	default:
		err = c.relayN(uc.br, res.length)
	}
	if err != nil {
		_ = uc.c.Close()
		return outcomeClose
	}
	if res.close {
		_ = uc.c.Close()
	} else {
		t.pool.put(uc, c.b.opts.MaxIdleConnsPerTarget)
	}
	if c.req.close {
		return outcomeClose
	}
	return outcomeKeep
}

// relayN passes n bytes of body from src to the client, flushing to the
// client whenever src has nothing buffered, so that a slow stream is
// passed on as it comes.
func (c *h1conn) relayN(src *bufio.Reader, n int64) error {
	for n > 0 {
		if src.Buffered() == 0 {
			if err := c.bw.Flush(); err != nil {
				return err
			}
			if _, err := src.Peek(1); err != nil {
				return err
			}
		}
		p, _ := src.Peek(int(min(int64(src.Buffered()), n)))
		if _, err := c.bw.Write(p); err != nil {
			return err
		}
		_, _ = src.Discard(len(p))
		n -= int64(len(p))
	}
	return c.bw.Flush()
}

// relayChunks passes what body reads (until io.EOF) to the client in
// chunked encoding, flushing whenever src, body's source, has nothing
// buffered.
func (c *h1conn) relayChunks(body io.Reader, src *bufio.Reader) error {
	buf := c.b.buffers.Get()
	defer c.b.buffers.Put(buf)
	for {
		if src.Buffered() == 0 {
			if err := c.bw.Flush(); err != nil {
				return err
			}
		}
		n, err := body.Read(buf)
		if n > 0 {
			c.bw.WriteString(strconv.FormatInt(int64(n), 16))
			c.bw.WriteString("\r\n")
			c.bw.Write(buf[:n])
			if _, werr := c.bw.WriteString("\r\n"); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	c.bw.WriteString("0\r\n\r\n")
	return c.bw.Flush()
}

// skipTrailers reads the trailer section after a chunked body; trailers
// are not passed on.
func skipTrailers(br *bufio.Reader) error {
	_, err := readHead(br, nil, maxResponseHead)
	return err
}

// textPlain is the content type of the load balancer's own answers.
const textPlain = "text/plain; charset=utf-8"

// answer sends the load balancer's own short plain-text answer.
func (c *h1conn) answer(code int, msg string, closing bool) {
	c.writeAnswer(code, textPlain, []byte(msg), closing)
}

// writeAnswer sends a complete response of the load balancer's own.
func (c *h1conn) writeAnswer(code int, contentType string, body []byte, closing bool) {
	w := c.bw
	w.WriteString("HTTP/1.1 ")
	w.WriteString(strconv.Itoa(code))
	w.WriteByte(' ')
	if text := http.StatusText(code); text != "" {
		w.WriteString(text)
	} else {
		w.WriteString("status code " + strconv.Itoa(code))
	}
	w.WriteString("\r\nContent-Type: ")
	w.WriteString(contentType)
	w.WriteString("\r\nContent-Length: ")
	w.WriteString(strconv.Itoa(len(body)))
	if closing {
		w.WriteString("\r\nConnection: close")
	}
	w.WriteString("\r\n\r\n")
	w.Write(body)
	_ = w.Flush()
}

// isTimeout reports whether err is a passed deadline.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
