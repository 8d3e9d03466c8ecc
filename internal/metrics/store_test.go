package metrics

import (
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestQueryAggregatesPerPeriod(t *testing.T) {
	s := NewStore(10*time.Second, time.Hour)
	tg := []Dimension{{"TargetGroup", "targetgroup/green/1"}, {"LoadBalancer", "app/web/1"}}
	for i := range 12 { // one sample every 10 s for two minutes
		s.Add("AWS/ApplicationELB", "RequestCount", "Count", tg, t0.Add(time.Duration(i)*10*time.Second), Value(float64(i)))
	}
	s.Add("AWS/ApplicationELB", "RequestCount", "Count", tg, t0.Add(5*time.Second), Value(100)) // same bucket as the first
	// Dimension order does not matter.
	rev := []Dimension{tg[1], tg[0]}
	got := s.Query("AWS/ApplicationELB", "RequestCount", rev, t0, t0.Add(2*time.Minute), time.Minute)
	want := []Datapoint{
		{Timestamp: t0, Stats: Stats{SampleCount: 7, Sum: 0 + 1 + 2 + 3 + 4 + 5 + 100, Minimum: 0, Maximum: 100}, Unit: "Count"},
		{Timestamp: t0.Add(time.Minute), Stats: Stats{SampleCount: 6, Sum: 6 + 7 + 8 + 9 + 10 + 11, Minimum: 6, Maximum: 11}, Unit: "Count"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got := s.Query("AWS/ApplicationELB", "RequestCount", tg[:1], t0, t0.Add(time.Hour), time.Minute); got != nil {
		t.Errorf("a subset of the dimensions names another series: %v", got)
	}
	if got := s.Query("AWS/ApplicationELB", "RequestCount", tg, t0.Add(time.Minute), t0.Add(time.Minute), time.Minute); got != nil {
		t.Errorf("empty range: %v", got)
	}
	if avg := want[1].Average(); avg != 8.5 {
		t.Errorf("average %v", avg)
	}
}

func TestRetention(t *testing.T) {
	s := NewStore(time.Second, time.Minute)
	s.Add("ns", "m", "", nil, t0, Value(1))
	s.Add("ns", "m", "", nil, t0.Add(2*time.Minute), Value(2))
	got := s.Query("ns", "m", nil, t0.Add(-time.Hour), t0.Add(time.Hour), time.Hour)
	if len(got) != 1 || got[0].Sum != 2 {
		t.Fatalf("old samples kept: %+v", got)
	}
}

func TestList(t *testing.T) {
	s := NewStore(0, 0)
	s.Add("AWS/ApplicationELB", "RequestCount", "Count", []Dimension{{"LoadBalancer", "app/a/1"}}, t0, Value(1))
	s.Add("AWS/ApplicationELB", "RequestCount", "Count", []Dimension{{"LoadBalancer", "app/a/1"}, {"TargetGroup", "targetgroup/g/2"}}, t0, Value(1))
	s.Add("AWS/ApplicationELB", "HealthyHostCount", "Count", []Dimension{{"LoadBalancer", "app/a/1"}, {"TargetGroup", "targetgroup/g/2"}}, t0, Value(2))
	s.Add("Other", "X", "", nil, t0, Value(1))
	if n := len(s.List("", "", nil)); n != 4 {
		t.Errorf("all: %d", n)
	}
	if n := len(s.List("AWS/ApplicationELB", "RequestCount", nil)); n != 2 {
		t.Errorf("by name: %d", n)
	}
	if got := s.List("AWS/ApplicationELB", "", []Dimension{{"TargetGroup", ""}}); len(got) != 2 || got[0].Name != "HealthyHostCount" {
		t.Errorf("by dimension name: %+v", got)
	}
}
