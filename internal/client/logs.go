package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// LogsPath is where the server serves a task container's logs
// (internal/server's LogsPath): GET LogsPath{cluster}/{task}/{container}
// ?bytes=N answers the last N bytes of the container's output.
const LogsPath = "/cutover/v1/logs/"

// Logs returns the last tail bytes of the output of container in the task
// of cluster (a task ID, not an ARN). An error answer (no such task, no
// logs kept) is an *APIError whose message is the server's text.
func (c *Client) Logs(ctx context.Context, cluster, task, container string, tail int64) ([]byte, error) {
	u := c.url(LogsPath+url.PathEscape(cluster)+"/"+url.PathEscape(task)+"/"+url.PathEscape(container),
		url.Values{"bytes": {strconv.FormatInt(tail, 10)}})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	resp, err := c.do(ctx, req, nil)
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max(tail, 0)+maxResponse))
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read logs: %w", decodeError(resp, b))
	}
	return b, nil
}

// LogDelta returns what a container wrote between two reads of the end
// of its log, prev and then cur, each the last window bytes of the log
// (or all of it, when shorter). ok is false when the two cannot be lined
// up, because more than a window was written in between or the log was
// replaced; delta is then all of cur.
//
// While the log is shorter than the window, prev is a prefix of cur and
// the answer is exact. Past that, cur starts somewhere inside prev, and
// the longest overlap (the longest start of cur that ends prev) is
// taken: output that repeats itself exactly, byte for byte, over the
// whole overlap can be undercounted.
func LogDelta(prev, cur []byte, window int64) (delta []byte, ok bool) {
	if int64(len(prev)) < window {
		if bytes.HasPrefix(cur, prev) {
			return cur[len(prev):], true
		}
		return cur, false
	}
	e := overlap(prev, cur)
	if e == 0 && len(cur) > 0 {
		return cur, false
	}
	return cur[e:], true
}

// overlap returns the length of the longest prefix of cur that is a
// suffix of prev, in linear time (the Knuth-Morris-Pratt prefix function
// of cur, run over prev).
func overlap(prev, cur []byte) int {
	if len(cur) == 0 {
		return 0
	}
	fail := make([]int, len(cur))
	for i, k := 1, 0; i < len(cur); i++ {
		for k > 0 && cur[i] != cur[k] {
			k = fail[k-1]
		}
		if cur[i] == cur[k] {
			k++
		}
		fail[i] = k
	}
	k := 0
	for _, b := range prev {
		for k > 0 && (k == len(cur) || b != cur[k]) {
			k = fail[k-1]
		}
		if k < len(cur) && b == cur[k] {
			k++
		}
	}
	return k
}
