package lb

import "net/http"

// Request smuggling defences.
//
// A request is framed once, and forwarded with framing the load balancer
// writes: a target cannot see a request boundary other than the one the
// listener parsed. The HTTP/1.1 fast path frames only the unambiguous
// case (no Transfer-Encoding, at most one Content-Length of digits, one
// valid Host, plain field syntax, see h1parse.go); it hands every other
// request, unread bytes and all, to net/http's server, so that the
// rules below are net/http's. That server refuses what cannot be framed
// unambiguously:
//
//   - several Content-Length fields of different values, or one that is
//     not a decimal number: 400;
//   - a Transfer-Encoding other than a single "chunked": 501 (ELBv2
//     answers 501 too);
//   - a field name with a space before the colon or another invalid
//     byte, a field value with CR, LF or NUL, a header section starting
//     with white space, several Host fields, or none in HTTP/1.1: 400;
//   - a malformed chunked body: the proxy answers 400 (proxyError);
//   - headers larger than MaxHeaderBytes: 431.
//
// It accepts two ambiguous forms and normalises them as RFC 9112 allows
// an intermediary to: Transfer-Encoding chunked with a Content-Length
// (the body is chunked and Content-Length is dropped, §6.3), and
// obs-fold continuation lines (joined with a space, §5.2). Neither can
// be refused here, as the handler only sees the normalised header. The
// bytes that follow a chunked body are where a front proxy framing by
// Content-Length would have hidden a smuggled request, so
// closeAfterChunked ends the connection after every chunked HTTP/1.x
// request (ELBv2's "defensive" desync mitigation closes it after
// ambiguous requests): nothing sent behind such a body is read as a
// request.

// closeAfterChunked makes the server close an HTTP/1.x connection after
// answering a request whose body was chunked.
func closeAfterChunked(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 {
		w.Header().Set("Connection", "close")
	}
}

// keepCloseAfterChunked is the proxy's ModifyResponse. It repeats
// closeAfterChunked on the target's final answer: forwarding an
// informational (1xx) answer clears the header closeAfterChunked set.
func keepCloseAfterChunked(res *http.Response) error {
	if res.StatusCode != http.StatusSwitchingProtocols && res.Request != nil && len(res.Request.TransferEncoding) > 0 {
		res.Header.Set("Connection", "close")
	}
	return nil
}
