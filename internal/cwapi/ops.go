package cwapi

import (
	"slices"
	"strings"
)

// operations maps the operations the API serves to their handlers.
func (a *API) operations() map[string]handler {
	return map[string]handler{
		"PutMetricAlarm":       op0(a.putMetricAlarm),
		"DescribeAlarms":       op(a.describeAlarms),
		"DeleteAlarms":         op0(a.deleteAlarms),
		"SetAlarmState":        op0(a.setAlarmState),
		"DescribeAlarmHistory": op(a.describeAlarmHistory),
		"GetMetricStatistics":  op(a.getMetricStatistics),
		"GetMetricData":        op(a.getMetricData),
		"ListMetrics":          op(a.listMetrics),
	}
}

// supported lists the operations served, for error messages.
var supported = func() string {
	names := []string{"PutMetricAlarm", "DescribeAlarms", "DeleteAlarms", "SetAlarmState", "DescribeAlarmHistory",
		"GetMetricStatistics", "GetMetricData", "ListMetrics"}
	slices.Sort(names)
	return strings.Join(names, ", ")
}()
