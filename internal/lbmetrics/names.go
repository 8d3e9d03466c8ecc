package lbmetrics

import (
	"strings"

	"github.com/cutover/cutover/internal/metrics"
)

// Namespace is the CloudWatch namespace of the load balancer's metrics.
const Namespace = "AWS/ApplicationELB"

// Metric names, as CloudWatch spells them.
const (
	RequestCount               = "RequestCount"
	HTTPCodeTarget2XXCount     = "HTTPCode_Target_2XX_Count"
	HTTPCodeTarget3XXCount     = "HTTPCode_Target_3XX_Count"
	HTTPCodeTarget4XXCount     = "HTTPCode_Target_4XX_Count"
	HTTPCodeTarget5XXCount     = "HTTPCode_Target_5XX_Count"
	HTTPCodeELB4XXCount        = "HTTPCode_ELB_4XX_Count"
	HTTPCodeELB5XXCount        = "HTTPCode_ELB_5XX_Count"
	HTTPCodeELB502Count        = "HTTPCode_ELB_502_Count"
	HTTPCodeELB503Count        = "HTTPCode_ELB_503_Count"
	HTTPCodeELB504Count        = "HTTPCode_ELB_504_Count"
	HTTPFixedResponseCount     = "HTTP_Fixed_Response_Count"
	TargetConnectionErrorCount = "TargetConnectionErrorCount"
	TargetResponseTime         = "TargetResponseTime"
	HealthyHostCount           = "HealthyHostCount"
	UnHealthyHostCount         = "UnHealthyHostCount"
)

// Dimension names.
const (
	DimLoadBalancer = "LoadBalancer"
	DimTargetGroup  = "TargetGroup"
)

// Units, as CloudWatch spells them.
const (
	UnitCount   = "Count"
	UnitSeconds = "Seconds"
)

// LoadBalancerDimension returns the LoadBalancer dimension's value for a
// load balancer ARN: app/NAME/ID from
// arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID.
// Anything else is returned unchanged.
func LoadBalancerDimension(arn string) string {
	if res, ok := elbResource(arn); ok {
		if v, ok := strings.CutPrefix(res, "loadbalancer/"); ok {
			return v
		}
	}
	return arn
}

// TargetGroupDimension returns the TargetGroup dimension's value for a
// target group ARN: targetgroup/NAME/ID from
// arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID.
// Anything else is returned unchanged.
func TargetGroupDimension(arn string) string {
	if res, ok := elbResource(arn); ok && strings.HasPrefix(res, "targetgroup/") {
		return res
	}
	return arn
}

// elbResource returns the resource part of an ELBv2 ARN.
func elbResource(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "elasticloadbalancing" {
		return "", false
	}
	return parts[5], true
}

// Dimensions returns the dimensions of a series: {LoadBalancer} when
// targetGroupARN is empty, {TargetGroup} when loadBalancerARN is, else
// {LoadBalancer, TargetGroup}.
func Dimensions(loadBalancerARN, targetGroupARN string) []metrics.Dimension {
	var dims []metrics.Dimension
	if loadBalancerARN != "" {
		dims = append(dims, metrics.Dimension{Name: DimLoadBalancer, Value: LoadBalancerDimension(loadBalancerARN)})
	}
	if targetGroupARN != "" {
		dims = append(dims, metrics.Dimension{Name: DimTargetGroup, Value: TargetGroupDimension(targetGroupARN)})
	}
	return dims
}
