// Package lbmetrics publishes the built-in load balancer's traffic as
// CloudWatch metrics, the ones ELBv2 publishes for an Application Load
// Balancer, so that CloudWatch-compatible alarms (and the CloudWatch
// API) can watch deployments, and exports the same counters to
// Prometheus.
//
// A Collector reads the data plane's cumulative counters (lb.Metrics,
// through a Source: the data plane's admin client) every interval,
// aligned on multiples of the interval, and adds what happened since the
// previous read to a metrics.Store in namespace AWS/ApplicationELB:
//
//   - per {LoadBalancer}: RequestCount (every request, fixed responses
//     included), HTTPCode_Target_2XX_Count to _5XX_Count,
//     HTTPCode_ELB_4XX_Count, HTTPCode_ELB_5XX_Count,
//     HTTPCode_ELB_502/503/504_Count, HTTP_Fixed_Response_Count,
//     TargetConnectionErrorCount and TargetResponseTime;
//   - per {LoadBalancer, TargetGroup} and per {TargetGroup}: the same
//     for the requests forwarded to the group (HTTPCode_ELB_* counting
//     the balancer's answers for that group: no target, 502, 504),
//     without HTTP_Fixed_Response_Count;
//   - per {LoadBalancer, TargetGroup}: HealthyHostCount and
//     UnHealthyHostCount, the targets in state healthy and unhealthy
//     when the interval ends.
//
// Dimension values are CloudWatch's: LoadBalancer=app/NAME/ID and
// TargetGroup=targetgroup/NAME/ID, the ends of the ARNs. Counts have
// unit Count and one sample per interval whose value is the count;
// TargetResponseTime has unit Seconds, SampleCount the number of
// responses, Sum their total time, Minimum and Maximum the fastest and
// slowest (to the microsecond, from the data plane's per-second
// extremes).
//
// Intervals without traffic: while the data plane answers, every count
// of every load balancer and target group it serves is recorded, zeros
// included. CloudWatch leaves such datapoints out, but an alarm then
// cannot tell "no traffic" from "no data": here missing data means the
// data plane was not answering (or the Collector not running), and
// treatMissingData applies to that alone. TargetResponseTime, which has
// no value without a response, is left out of intervals without any.
//
// Counter resets: the data plane's counters start at zero when its
// process starts (lb.Metrics.StartedAt changes) and when a load balancer
// or target group pair enters its configuration. A set of counters that
// restarted, or that went down, is taken whole as the interval's
// traffic. The first read after the Collector starts is only a baseline
// (the data plane may have run long before), unless the data plane
// started after the Collector did.
package lbmetrics
