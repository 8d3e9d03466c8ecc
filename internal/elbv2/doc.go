// Package elbv2 holds the Elastic Load Balancing v2 wire types: the
// inputs, outputs and resources (LoadBalancer, TargetGroup, Listener,
// Rule...) of the ELBv2 operations cutover serves, exactly as the botocore
// model names them. The API layer (internal/elbapi) decodes query-protocol
// requests into the *Input types and encodes the *Output types as XML; the
// store keeps the resources as JSON, so one definition serves the wire and
// the disk.
//
// types_gen.go is generated from the botocore ELBv2 model embedded in
// internal/awsmodel (see generate.go; run go generate after changing the
// list of operations). Only Time (time.go) and the pointer helpers
// (helpers.go) are written by hand.
//
// Conventions of the generated types:
//   - Every field has a json tag with the member's exact name and
//     omitempty, and an xml tag in the query protocol's layout: lists are
//     written as <Name><member>…</member></Name>. Maps (only in actions
//     cutover does not support) have xml:"-".
//   - Numbers, booleans, timestamps and nested structures are pointers, so
//     an explicit 0 or false is kept and sent; absent means nil. Use Int32
//     and Bool to build them and Int32Value and BoolValue to read them.
//   - Enums are named string types with one constant per value, such as
//     ProtocolEnumHttp; Values lists them.
//   - A nil list is absent; an empty non-nil list is sent as an empty
//     element (<TargetGroups></TargetGroups>), which clients read as [].
//     elbapi's XML encoder keeps that distinction, which encoding/xml
//     cannot.
//
// Requests should be checked with awsmodel.ELBv2().ValidateJSONInput (on
// the JSON form of the query request) before they are decoded.
package elbv2
