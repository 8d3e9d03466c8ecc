// Package prometheus is a small client of the Prometheus HTTP API
// (/api/v1/query and /api/v1/query_range): enough for CloudWatch alarms
// and GetMetricData queries whose expression is "promql:<query>" to read
// a Prometheus server the configuration file names.
package prometheus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponse bounds the body of an answer.
const maxResponse = 16 << 20

// ErrQuery means Prometheus refused or failed a query: a bad expression,
// a timeout, an unreachable server, an answer that is not the API's.
var ErrQuery = errors.New("prometheus query failed")

// Client queries one Prometheus server. It is safe for concurrent use.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client of the server at rawURL (http or https, with an
// optional path prefix such as http://host:9090/prometheus). hc nil
// means a client with a 30 s timeout.
func New(rawURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus url %q: not an http(s) URL", rawURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: u, http: hc}, nil
}

// Sample is one value of a series at a time. Value may be NaN or ±Inf,
// as PromQL allows.
type Sample struct {
	Time  time.Time
	Value float64
}

// Series is one result series: its labels and samples, oldest first. An
// instant query's series have one sample; a scalar result is one series
// without labels.
type Series struct {
	Labels  map[string]string
	Samples []Sample
}

// Query evaluates query at t (/api/v1/query). Errors wrap ErrQuery.
func (c *Client) Query(ctx context.Context, query string, t time.Time) ([]Series, error) {
	form := url.Values{"query": {query}, "time": {formatTime(t)}}
	return c.do(ctx, "query", form)
}

// QueryRange evaluates query at start, start+step, ... up to end
// (/api/v1/query_range). Errors wrap ErrQuery.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]Series, error) {
	if step <= 0 {
		return nil, fmt.Errorf("%w: step %v is not positive", ErrQuery, step)
	}
	form := url.Values{
		"query": {query}, "start": {formatTime(start)}, "end": {formatTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	return c.do(ctx, "query_range", form)
}

// formatTime writes t as Unix seconds with milliseconds.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// apiResponse is the envelope of every answer of the HTTP API.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// do posts the form to /api/v1/<endpoint> and decodes the result.
func (c *Client) do(ctx context.Context, endpoint string, form url.Values) ([]Series, error) {
	u := c.base.JoinPath("api", "v1", endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read answer: %w", ErrQuery, err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("%w: the answer is larger than %d bytes", ErrQuery, maxResponse)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: HTTP %d: the answer is not the Prometheus API's: %.200s", ErrQuery, resp.StatusCode, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%w: %s: %s", ErrQuery, r.ErrorType, r.Error)
	}
	series, err := decodeResult(r.Data.ResultType, r.Data.Result)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuery, err)
	}
	return series, nil
}

// decodeResult reads a result of type matrix, vector, scalar or string.
func decodeResult(typ string, raw json.RawMessage) ([]Series, error) {
	switch typ {
	case "matrix":
		var rs []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		}
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("decode matrix: %w", err)
		}
		out := make([]Series, 0, len(rs))
		for _, r := range rs {
			s := Series{Labels: r.Metric}
			for _, v := range r.Values {
				sample, err := decodeSample(v)
				if err != nil {
					return nil, err
				}
				s.Samples = append(s.Samples, sample)
			}
			out = append(out, s)
		}
		return out, nil
	case "vector":
		var rs []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("decode vector: %w", err)
		}
		out := make([]Series, 0, len(rs))
		for _, r := range rs {
			sample, err := decodeSample(r.Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Series{Labels: r.Metric, Samples: []Sample{sample}})
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("decode scalar: %w", err)
		}
		sample, err := decodeSample(v)
		if err != nil {
			return nil, err
		}
		return []Series{{Samples: []Sample{sample}}}, nil
	default:
		return nil, fmt.Errorf("result type %q is not a number", typ)
	}
}

// decodeSample reads [<unix seconds>, "<value>"].
func decodeSample(v [2]any) (Sample, error) {
	secs, ok := v[0].(float64)
	if !ok || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return Sample{}, fmt.Errorf("sample time %v is not a number", v[0])
	}
	s, ok := v[1].(string)
	if !ok {
		return Sample{}, fmt.Errorf("sample value %v is not a string", v[1])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Sample{}, fmt.Errorf("sample value %q: %w", s, err)
	}
	return Sample{Time: time.UnixMilli(int64(math.Round(secs * 1000))).UTC(), Value: f}, nil
}
