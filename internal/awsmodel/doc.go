// Package awsmodel loads the official AWS API models (the botocore
// service-2.json format, embedded for ECS, ELBv2 and CloudWatch) and checks
// requests against them.
//
// The API layer uses it in two ways. At run time, ValidateJSONInput checks a
// raw JSON 1.1 request body against an operation's input shape before the
// body is decoded, so that malformed or out-of-range requests are refused
// with the same exception types and message style as AWS. At build time,
// the generator in awsmodel/gen turns the shapes into Go types (package
// internal/ecs), so the wire types always match the model.
//
// Models are parsed once, lazily, by ECS, ELBv2 and CloudWatch; a *Model
// is read-only after parsing and safe for concurrent use.
package awsmodel
