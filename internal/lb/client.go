package lb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Paths of the admin API that `cutover lb` serves on its unix socket.
const (
	// AdminPathConfig takes the Config with PUT (200 applied, 400
	// refused, 409 older version than the current one) and returns it
	// with GET.
	AdminPathConfig = "/config"
	// AdminPathHealth returns the []TargetHealth of every target.
	AdminPathHealth = "/health"
	// AdminPathHealthWait, GET with ?after=N, answers a HealthGeneration
	// once the health report's generation differs from N, or after
	// HealthWaitLimit with the current one: a long poll.
	AdminPathHealthWait = "/health/wait"
	// AdminPathStats returns the []TargetStats of every target.
	AdminPathStats = "/stats"
	// AdminPathMetrics returns the Metrics of every load balancer and
	// target group.
	AdminPathMetrics = "/metrics"
	// AdminPathHealthz answers 200 while the process serves.
	AdminPathHealthz = "/healthz"
)

// HealthWaitLimit is how long the data plane holds a health long poll
// before it answers with an unchanged generation.
const HealthWaitLimit = 25 * time.Second

// HealthGeneration is the answer to a health long poll.
type HealthGeneration struct {
	Generation uint64 `json:"generation"`
}

// AdminError is the JSON body of an admin API error response.
type AdminError struct {
	Message string `json:"message"`
}

// Client talks to the admin API of a `cutover lb` process over its unix
// socket. It is what the control plane uses to push configurations.
type Client struct {
	http *http.Client
}

// NewClient returns a client of the admin socket at socketPath.
func NewClient(socketPath string) *Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &Client{http: &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socketPath)
		},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     30 * time.Second,
	}}}
}

// Apply pushes cfg to the data plane. It returns an error wrapping
// ErrStaleVersion when the data plane serves a newer version, and
// ErrRefused when it refused cfg for another reason. It is idempotent.
func (c *Client) Apply(ctx context.Context, cfg Config) error {
	body, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := c.do(ctx, http.MethodPut, AdminPathConfig, body, nil); err != nil {
		return fmt.Errorf("apply load balancer config version %d: %w", cfg.Version, err)
	}
	return nil
}

// Config returns the configuration the data plane serves.
func (c *Client) Config(ctx context.Context) (Config, error) {
	var cfg Config
	if err := c.do(ctx, http.MethodGet, AdminPathConfig, nil, &cfg); err != nil {
		return Config{}, fmt.Errorf("get load balancer config: %w", err)
	}
	return cfg, nil
}

// Health returns the health of every target of the data plane.
func (c *Client) Health(ctx context.Context) ([]TargetHealth, error) {
	var th []TargetHealth
	if err := c.do(ctx, http.MethodGet, AdminPathHealth, nil, &th); err != nil {
		return nil, fmt.Errorf("get load balancer target health: %w", err)
	}
	return th, nil
}

// WaitHealth long-polls the data plane until its health report's
// generation differs from after (see Balancer.WaitHealth) and returns
// the generation. It may return an unchanged one after HealthWaitLimit.
func (c *Client) WaitHealth(ctx context.Context, after uint64) (uint64, error) {
	var g HealthGeneration
	if err := c.do(ctx, http.MethodGet, AdminPathHealthWait+"?after="+strconv.FormatUint(after, 10), nil, &g); err != nil {
		return 0, fmt.Errorf("wait for load balancer target health: %w", err)
	}
	return g.Generation, nil
}

// Stats returns the traffic counters of every target of the data plane.
func (c *Client) Stats(ctx context.Context) ([]TargetStats, error) {
	var st []TargetStats
	if err := c.do(ctx, http.MethodGet, AdminPathStats, nil, &st); err != nil {
		return nil, fmt.Errorf("get load balancer stats: %w", err)
	}
	return st, nil
}

// Metrics returns the data plane's traffic counters, cumulative since
// its process started (Metrics.StartedAt).
func (c *Client) Metrics(ctx context.Context) (Metrics, error) {
	var m Metrics
	if err := c.do(ctx, http.MethodGet, AdminPathMetrics, nil, &m); err != nil {
		return Metrics{}, fmt.Errorf("get load balancer metrics: %w", err)
	}
	return m, nil
}

// Ping returns nil when the data plane process answers.
func (c *Client) Ping(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, AdminPathHealthz, nil, nil); err != nil {
		return fmt.Errorf("ping load balancer: %w", err)
	}
	return nil
}

// Close releases the client's idle connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://lb"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var ae AdminError
		if json.Unmarshal(data, &ae) != nil || ae.Message == "" {
			ae.Message = http.StatusText(res.StatusCode)
		}
		switch res.StatusCode {
		case http.StatusConflict:
			return fmt.Errorf("%w: %s", ErrStaleVersion, ae.Message)
		case http.StatusBadRequest:
			return fmt.Errorf("%w: %s", ErrRefused, ae.Message)
		}
		return fmt.Errorf("status %d: %s", res.StatusCode, ae.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
