package cloudwatch

//go:generate go run ../awsmodel/gen -service cloudwatch -xml -out types_gen.go -ops PutMetricAlarm,DescribeAlarms,DeleteAlarms,SetAlarmState,DescribeAlarmHistory,GetMetricStatistics,GetMetricData,ListMetrics
