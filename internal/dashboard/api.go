package dashboard

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/lbmetrics"
)

// This file serves the dashboard's data: POST /ui/api/call,
// GET /ui/api/events and GET /ui/api/metrics.

// maxCallBody bounds the body of POST /ui/api/call.
const maxCallBody = 1 << 20

// serveCall runs the operation X-Amz-Target names as the user.
func (d *Dashboard) serveCall(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	u, ok := d.requireUser(w, r)
	if !ok || !d.checkWrite(w, r, u.csrf) {
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if target == "" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "The X-Amz-Target header names no operation.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "SerializationException", "The request body is larger than 1 MiB.")
			return
		}
		writeError(w, http.StatusBadRequest, "SerializationException", "Could not read the request body.")
		return
	}
	resp, err := d.api.Call(audit.WithActor(r.Context(), u.actor), target, body)
	if err != nil {
		status, typ, msg := ecsapi.ErrorResponse(err)
		if status >= 500 {
			d.log.Error("dashboard call failed", "op", target, "actor", u.actor.String(), "err", err)
		}
		writeJSONType(w, status, "application/x-amz-json-1.1", map[string]string{"__type": typ, "message": msg})
		return
	}
	writeJSONType(w, http.StatusOK, "application/x-amz-json-1.1", resp)
}

// serveEvents streams the event log, as GET /cutover/v1/events does.
func (d *Dashboard) serveEvents(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodGet) {
		return
	}
	if _, ok := d.requireUser(w, r); !ok {
		return
	}
	if d.events == nil {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "This server has no event stream.")
		return
	}
	w.Header().Del("Cache-Control") // the stream sets its own
	d.events.ServeHTTP(w, r)
}

// Metrics the chart shows, per target group.
var chartMetrics = []string{lbmetrics.RequestCount, lbmetrics.HTTPCodeTarget5XXCount, lbmetrics.HTTPCodeELB5XXCount}

// Bounds of a metrics query.
const (
	maxPoints     = 300
	defaultSpan   = time.Hour
	maxMetricSpan = 31 * 24 * time.Hour
)

// metricsResponse is a target group's series over [start, end): each
// point is [epoch seconds, sum over the period], periods without samples
// left out.
type metricsResponse struct {
	TargetGroupArn string                  `json:"targetGroupArn"`
	Start          int64                   `json:"start"`
	End            int64                   `json:"end"`
	Period         int64                   `json:"period"`
	Series         map[string][][2]float64 `json:"series"`
}

// serveMetrics answers a target group's request and 5xx counts.
func (d *Dashboard) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodGet) {
		return
	}
	if _, ok := d.requireUser(w, r); !ok {
		return
	}
	q := r.URL.Query()
	tg := q.Get("targetGroupArn")
	if tg == "" {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "targetGroupArn is required.")
		return
	}
	now := d.now()
	end, err := parseTime(q.Get("end"), now)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "end: "+err.Error())
		return
	}
	start, err := parseTime(q.Get("start"), end.Add(-defaultSpan))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "start: "+err.Error())
		return
	}
	if !end.After(start) || end.Sub(start) > maxMetricSpan {
		writeError(w, http.StatusBadRequest, "InvalidParameterException", "end must be after start, by at most 31 days.")
		return
	}
	out := metricsResponse{TargetGroupArn: tg, Series: map[string][][2]float64{}}
	if d.metrics == nil {
		out.Start, out.End = start.Unix(), end.Unix()
		writeJSON(w, http.StatusOK, out)
		return
	}
	period := chartPeriod(end.Sub(start), d.metrics.Resolution())
	start = start.Truncate(period)
	out.Start, out.End, out.Period = start.Unix(), end.Unix(), int64(period/time.Second)
	dims := lbmetrics.Dimensions("", tg)
	for _, name := range chartMetrics {
		points := [][2]float64{}
		for _, p := range d.metrics.Query(lbmetrics.Namespace, name, dims, start, end, period) {
			points = append(points, [2]float64{float64(p.Timestamp.Unix()), p.Sum})
		}
		out.Series[name] = points
	}
	writeJSON(w, http.StatusOK, out)
}

// chartPeriod is the shortest multiple of the store's resolution (and of
// a second) that cuts span into at most maxPoints periods.
func chartPeriod(span, resolution time.Duration) time.Duration {
	if resolution < time.Second {
		resolution = time.Second
	}
	n := math.Ceil(float64(span) / float64(maxPoints) / float64(resolution))
	return time.Duration(max(n, 1)) * resolution
}

// parseTime reads a time given as epoch seconds or RFC 3339; empty is
// def.
func parseTime(s string, def time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
			return time.Time{}, fmt.Errorf("%q is out of range", s)
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither epoch seconds nor an RFC 3339 time", s)
	}
	return t, nil
}
