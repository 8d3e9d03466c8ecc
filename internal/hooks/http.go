package hooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/signature"
)

// invokeURL POSTs event to a URL hook, signed, and returns the body of a
// 2xx answer.
func (i *Invoker) invokeURL(ctx context.Context, target string, event []byte) ([]byte, error) {
	prefix := "invoking " + target
	if u, err := url.Parse(target); err == nil {
		prefix = "invoking " + u.Redacted() // no password in a status reason
	}
	ctx, cancel := context.WithTimeoutCause(ctx, i.timeout, ErrTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(event))
	if err != nil {
		return nil, &wrapError{msg: prefix + ": " + summary(err), err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cutover")
	signature.SetHeaders(req.Header, i.secret, event, time.Now())
	resp, err := i.httpClient.Do(req)
	if err != nil {
		return nil, failure(ctx, prefix, i.timeout, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		msg := prefix + ": HTTP " + strings.TrimSpace(resp.Status)
		if s := snippet(b, 256, false); s != "" {
			msg += ": " + s
		}
		return nil, errors.New(msg)
	}
	reply, err := io.ReadAll(newCappedReader(resp.Body))
	if err != nil {
		return nil, failure(ctx, prefix, i.timeout, err)
	}
	return reply, nil
}
