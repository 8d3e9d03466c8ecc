package lb

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// response is a target's response head the fast path read. Its slices
// point into the connection's response head buffer.
type response struct {
	// status is the status line after "HTTP/1.x ": code and reason.
	status  []byte
	code    int
	headers []header
	// length is the Content-Length, -1 when the body runs until the
	// connection closes (or is chunked).
	length  int64
	chunked bool
	// close means the target closes the connection after this response.
	close bool
	// dropped are the header names the Connection header lists, which
	// are not passed on.
	dropped [][]byte
}

// errBadResponse is the cause of a response head the fast path cannot
// frame; the client gets 502.
var errBadResponse = errors.New("malformed response head")

// readResponse reads the next response head from uc.
func (c *h1conn) readResponse(uc *upConn) (response, error) {
	var err error
	c.rhead, err = readHead(uc.br, c.rhead[:0], maxResponseHead)
	if err != nil {
		return response{}, fmt.Errorf("read response head: %w", err)
	}
	line, rest, ok := splitLine(c.rhead)
	if !ok || len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || len(line) > 12 && line[12] != ' ' {
		return response{}, errBadResponse
	}
	res := response{status: line[9:], length: -1, close: line[7] != '1', dropped: c.rdropped[:0]}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 {
		return response{}, errBadResponse
	}
	res.code = code
	if c.rhdrs, ok = parseFields(rest, c.rhdrs); !ok {
		return response{}, errBadResponse
	}
	res.headers = c.rhdrs
	for _, h := range res.headers {
		switch {
		case is(h.name, "content-length"):
			n, err := strconv.ParseInt(string(h.value), 10, 64)
			if err != nil || n < 0 || res.length >= 0 && n != res.length {
				return response{}, errBadResponse
			}
			res.length = n
		case is(h.name, "transfer-encoding"):
			last := h.value
			if i := bytes.LastIndexByte(last, ','); i >= 0 {
				last = trimOWS(last[i+1:])
			}
			if !is(last, "chunked") {
				return response{}, errBadResponse
			}
			res.chunked = true
		case is(h.name, "connection"):
			for tok := range bytes.SplitSeq(h.value, []byte(",")) {
				tok = trimOWS(tok)
				switch {
				case is(tok, "close"):
					res.close = true
				case is(tok, "keep-alive"), len(tok) == 0:
				default:
					res.dropped = append(res.dropped, tok)
				}
			}
		}
	}
	c.rdropped = res.dropped
	if res.chunked {
		res.length = -1
	}
	if res.length < 0 && !res.chunked {
		res.close = true
	}
	return res, nil
}

// writeHead writes res's head to the client without its hop-by-hop
// fields, chunked when chunkOut, closing the connection when closing.
func (c *h1conn) writeHead(res *response, chunkOut, closing bool) {
	w := c.bw
	w.WriteString("HTTP/1.1 ")
	w.Write(res.status)
	w.WriteString("\r\n")
	for _, h := range res.headers {
		if hopByHop(h.name) || chunkOut && is(h.name, "content-length") || listed(res.dropped, h.name) {
			continue
		}
		w.Write(h.name)
		w.WriteString(": ")
		w.Write(h.value)
		w.WriteString("\r\n")
	}
	if chunkOut {
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if closing {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
}

// listed reports whether name is in names, ignoring ASCII case.
func listed(names [][]byte, name []byte) bool {
	for _, n := range names {
		if bytes.EqualFold(n, name) {
			return true
		}
	}
	return false
}
