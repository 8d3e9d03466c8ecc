// Package cloudwatch holds the Amazon CloudWatch wire types: the inputs,
// outputs and resources (MetricAlarm, AlarmHistoryItem, Datapoint,
// MetricDataResult...) of the CloudWatch operations cutover serves,
// exactly as the botocore model names them. The API layer
// (internal/cwapi) decodes requests of its three protocols (rpc-v2-cbor,
// JSON 1.0 and query) into the *Input types through one JSON form and
// encodes the *Output types back; the store keeps alarms and their
// history as JSON, so one definition serves the wire and the disk.
//
// types_gen.go is generated from the botocore CloudWatch model embedded
// in internal/awsmodel (see generate.go; run go generate after changing
// the list of operations). Only Time (time.go) and the pointer helpers
// (helpers.go) are written by hand.
//
// Conventions of the generated types:
//   - Every field has a json tag with the member's exact name and
//     omitempty, and an xml tag in the query protocol's layout (lists are
//     <Name><member>…</member></Name>; maps have xml:"-").
//   - Numbers, booleans, timestamps and nested structures are pointers, so
//     an explicit 0 or false is kept and sent; absent means nil.
//   - Enums are named string types with one constant per value, such as
//     StateValueAlarm; Values lists them.
//
// Requests should be checked with awsmodel.CloudWatch().ValidateJSONInput
// (on the JSON form of the request) before they are decoded.
package cloudwatch
