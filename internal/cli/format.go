package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// This file formats values for people.

// fmtDuration renders d to the second, with at most two units: 0s, 12s,
// 4m12s, 1h02m, 3d04h. A negative d is 0s.
func fmtDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s <= 0:
		return "0s"
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// timeLayout and clockLayout render instants: a full one, and the time of
// day for timelines.
const (
	timeLayout  = "2006-01-02 15:04:05 MST"
	clockLayout = "15:04:05"
)

// fmtTime renders t in loc, or "-" for the zero time.
func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(timeLayout)
}

// fmtClock renders the time of day of t in loc, or "-".
func fmtClock(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(clockLayout)
}

// fmtPercent renders a traffic weight: 100%, 0%, 12.5%.
func fmtPercent(w float64) string {
	return strconv.FormatFloat(w, 'f', -1, 64) + "%"
}

// lastPart returns what follows the last slash of an ARN: the ID of a
// task, a deployment, a revision number.
func lastPart(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// taskDefName returns "family:revision" of a task definition ARN (or the
// argument when it is already short).
func taskDefName(arn string) string {
	if i := strings.Index(arn, ":task-definition/"); i >= 0 {
		return arn[i+len(":task-definition/"):]
	}
	return arn
}

// serviceName returns "cluster/service" of a service ARN
// (arn:...:service/CLUSTER/SERVICE), or the ARN.
func serviceName(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":service/"); ok {
		return rest
	}
	return arn
}

// clusterName returns the name of a cluster ARN, or the argument.
func clusterName(arn string) string {
	if _, rest, ok := strings.Cut(arn, ":cluster/"); ok {
		return rest
	}
	return arn
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// newTable returns a writer that aligns tab-separated columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// row writes one tab-separated line of a table.
func row(w io.Writer, cols ...string) {
	fmt.Fprintln(w, strings.Join(cols, "\t"))
}

// truncate cuts s to at most width characters, marking the cut with "…".
// A width of 0 or less leaves s alone.
func truncate(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:max(width-1, 0)]) + "…"
}
