// Package cwapi serves the subset of the Amazon CloudWatch API that
// cutover's alarms need: PutMetricAlarm, DescribeAlarms, DeleteAlarms,
// SetAlarmState, DescribeAlarmHistory, GetMetricStatistics, GetMetricData
// and ListMetrics. Other operations of the model are refused with
// InvalidAction.
//
// CloudWatch speaks three protocols and the API answers each in kind:
//
//   - smithy-rpc-v2-cbor, the model's first: POST
//     /service/GraniteServiceVersion20100801/operation/<Op>, a CBOR body
//     (timestamps as tag 1 epoch seconds), answered in CBOR with the
//     header smithy-protocol: rpc-v2-cbor; an operation without output
//     answers an empty body.
//   - JSON 1.0: POST / with X-Amz-Target
//     GraniteServiceVersion20100801.<Op> (epoch-second timestamps), which
//     the aws CLI v1 of botocore 1.43 uses (botocore ranks json above
//     CBOR).
//   - query: a form POST Action=<Op>&Version=2010-08-01 (ISO 8601
//     timestamps) answered in XML, for older SDKs. Handles tells it from
//     ELBv2's by the SigV4 scope (service monitoring) or, unsigned, by the
//     Version.
//
// All three decode into the JSON form of the operation's input, which
// awsmodel.CloudWatch().ValidateJSONInput checks before it is decoded into
// the generated types of internal/cloudwatch; one implementation of each
// operation serves them all. Errors use the model's error shapes
// (ResourceNotFound, InvalidParameterValue, InvalidParameterCombination,
// MissingParameter, LimitExceeded, InvalidNextToken, InvalidFormat) with
// their HTTP status; JSON and CBOR errors carry the shape in __type and,
// since the model is awsQueryCompatible, the query code in the
// x-amzn-query-error header ("ResourceNotFound;Sender"), from which
// botocore reads the code. Model validation errors are ValidationError.
//
// Alarms live in the store (internal/state) and are evaluated by
// internal/alarms; metrics come from the in-memory metrics store, and an
// Expression "promql:<query>" from the Prometheus server of the config
// file.
package cwapi
