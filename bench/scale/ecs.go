package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/ecsapi"
)

// ecsClient calls the ECS API over HTTP, as an SDK does (JSON 1.1).
type ecsClient struct {
	endpoint string
	http     *http.Client
}

func newECSClient(endpoint string) *ecsClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	return &ecsClient{endpoint: endpoint, http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// call invokes op with body and decodes the answer into out (when not
// nil). It returns how long the call took.
func (c *ecsClient) call(ctx context.Context, op string, body, out any) (time.Duration, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Amz-Target", ecsapi.TargetPrefix+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return took, fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return took, fmt.Errorf("%s: decode answer: %w", op, err)
		}
	}
	return took, nil
}

// latencyLoad calls the API at a steady rate while deployments run and
// records how long each call took, by operation.
type latencyLoad struct {
	c       *ecsClient
	cluster string
	names   []string // every service

	mu      sync.Mutex
	arns    []string // deployments to describe
	byOp    map[string][]time.Duration
	errs    int
	lastErr error
}

// setDeployments names the deployments DescribeServiceDeployments asks for.
func (l *latencyLoad) setDeployments(arns []string) {
	l.mu.Lock()
	l.arns = arns
	l.mu.Unlock()
}

// run calls the API rate times a second, cycling through
// DescribeServices (10 services), ListServices (a page of 100),
// DescribeServiceDeployments (10 deployments) and UpdateService (an
// in-place change: desiredCount as it is, which starts no deployment),
// until ctx is done.
func (l *latencyLoad) run(ctx context.Context, rate int) {
	l.byOp = map[string][]time.Duration{}
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		op, body := l.request(i)
		if op == "" {
			continue
		}
		wg.Go(func() {
			took, err := l.c.call(context.WithoutCancel(ctx), op, body, nil)
			l.mu.Lock()
			defer l.mu.Unlock()
			if err != nil {
				l.errs++
				l.lastErr = err
				return
			}
			l.byOp[op] = append(l.byOp[op], took)
		})
	}
}

// request is the i-th call of the cycle.
func (l *latencyLoad) request(i int) (string, any) {
	pick := func(from []string, n int) []string {
		out := make([]string, 0, n)
		for range n {
			out = append(out, from[rand.IntN(len(from))])
		}
		return out
	}
	switch i % 4 {
	case 0:
		return "DescribeServices", map[string]any{"cluster": l.cluster, "services": pick(l.names, 10)}
	case 1:
		return "ListServices", map[string]any{"cluster": l.cluster, "maxResults": 100}
	case 2:
		l.mu.Lock()
		arns := l.arns
		l.mu.Unlock()
		if len(arns) == 0 {
			return "", nil
		}
		return "DescribeServiceDeployments", map[string]any{"serviceDeploymentArns": pick(arns, 10)}
	default:
		return "UpdateService", map[string]any{"cluster": l.cluster, "service": pick(l.names, 1)[0], "desiredCount": 2}
	}
}

// results returns every recorded latency and those of each operation.
func (l *latencyLoad) results() (all []time.Duration, byOp map[string][]time.Duration, errs int, lastErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ds := range l.byOp {
		all = append(all, ds...)
	}
	return all, l.byOp, l.errs, l.lastErr
}
