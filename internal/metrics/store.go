// Package metrics keeps CloudWatch-style metrics in memory: series named
// by namespace, metric name and dimensions, holding one aggregated
// sample per resolution interval for a bounded retention. The load
// balancer's metrics (namespace AWS/ApplicationELB) land here; alarms and
// the CloudWatch API read them.
package metrics

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of a Store.
const (
	DefaultResolution = 10 * time.Second
	DefaultRetention  = 3 * time.Hour
)

// Dimension is a name/value pair that, with the namespace and metric
// name, identifies a series.
type Dimension struct {
	Name  string
	Value string
}

// Stats aggregates samples: how many, their sum, minimum and maximum.
type Stats struct {
	SampleCount float64
	Sum         float64
	Minimum     float64
	Maximum     float64
}

// Average is Sum / SampleCount (0 without samples).
func (s Stats) Average() float64 {
	if s.SampleCount == 0 {
		return 0
	}
	return s.Sum / s.SampleCount
}

// merge adds o's samples to s.
func (s *Stats) merge(o Stats) {
	if o.SampleCount == 0 {
		return
	}
	if s.SampleCount == 0 {
		*s = o
		return
	}
	s.SampleCount += o.SampleCount
	s.Sum += o.Sum
	s.Minimum = math.Min(s.Minimum, o.Minimum)
	s.Maximum = math.Max(s.Maximum, o.Maximum)
}

// Value is Stats of one sample.
func Value(v float64) Stats { return Stats{SampleCount: 1, Sum: v, Minimum: v, Maximum: v} }

// Datapoint is the aggregate of a series over one period from Timestamp.
type Datapoint struct {
	Timestamp time.Time
	Stats
	Unit string
}

// Series names a series.
type Series struct {
	Namespace  string
	Name       string
	Dimensions []Dimension // sorted by name
	Unit       string
}

// Store holds series in memory. It is safe for concurrent use.
type Store struct {
	resolution time.Duration
	retention  time.Duration

	mu     sync.RWMutex
	series map[string]*series
}

type series struct {
	Series
	// buckets are the aggregates of each resolution interval, oldest
	// first, by interval start.
	buckets []bucket
}

type bucket struct {
	start time.Time
	Stats
}

// NewStore returns a store aggregating samples per resolution interval
// and keeping them for retention (zero values: the defaults).
func NewStore(resolution, retention time.Duration) *Store {
	if resolution <= 0 {
		resolution = DefaultResolution
	}
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Store{resolution: resolution, retention: retention, series: map[string]*series{}}
}

// Resolution is the store's aggregation interval.
func (s *Store) Resolution() time.Duration { return s.resolution }

func key(namespace, name string, dims []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortedDims(dims []Dimension) []Dimension {
	d := slices.Clone(dims)
	slices.SortFunc(d, func(a, b Dimension) int { return cmp.Compare(a.Name, b.Name) })
	return d
}

// Add records samples st of a series at time t, and drops what is older
// than the retention.
func (s *Store) Add(namespace, name, unit string, dims []Dimension, t time.Time, st Stats) {
	dims = sortedDims(dims)
	k := key(namespace, name, dims)
	start := t.Truncate(s.resolution)
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.series[k]
	if se == nil {
		se = &series{Series: Series{Namespace: namespace, Name: name, Dimensions: dims, Unit: unit}}
		s.series[k] = se
	}
	i, found := slices.BinarySearchFunc(se.buckets, start, func(b bucket, t time.Time) int { return b.start.Compare(t) })
	if found {
		se.buckets[i].merge(st)
	} else {
		se.buckets = slices.Insert(se.buckets, i, bucket{start: start, Stats: st})
	}
	cut := t.Add(-s.retention)
	n := 0
	for n < len(se.buckets) && se.buckets[n].start.Before(cut) {
		n++
	}
	se.buckets = se.buckets[n:]
}

// Query aggregates the series named exactly by namespace, name and dims
// into one datapoint per period over [start, end), periods aligned on
// start; periods without samples are left out.
func (s *Store) Query(namespace, name string, dims []Dimension, start, end time.Time, period time.Duration) []Datapoint {
	if period <= 0 || !end.After(start) {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	se := s.series[key(namespace, name, sortedDims(dims))]
	if se == nil {
		return nil
	}
	var out []Datapoint
	for _, b := range se.buckets {
		if b.start.Before(start) || !b.start.Before(end) {
			continue
		}
		ts := start.Add(b.start.Sub(start) / period * period)
		if n := len(out); n > 0 && out[n-1].Timestamp.Equal(ts) {
			out[n-1].merge(b.Stats)
		} else {
			out = append(out, Datapoint{Timestamp: ts, Stats: b.Stats, Unit: se.Unit})
		}
	}
	return out
}

// List returns the series of namespace (all when empty) named name (all
// when empty) whose dimensions include every one of dims, sorted.
func (s *Store) List(namespace, name string, dims []Dimension) []Series {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Series
	for _, se := range s.series {
		if (namespace == "" || se.Namespace == namespace) && (name == "" || se.Name == name) && hasAll(se.Dimensions, dims) {
			out = append(out, se.Series)
		}
	}
	slices.SortFunc(out, func(a, b Series) int {
		return cmp.Compare(key(a.Namespace, a.Name, a.Dimensions), key(b.Namespace, b.Name, b.Dimensions))
	})
	return out
}

func hasAll(have, want []Dimension) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(d Dimension) bool { return d.Name == w.Name && (w.Value == "" || d.Value == w.Value) }) {
			return false
		}
	}
	return true
}
