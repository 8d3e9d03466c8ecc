// Package ecs holds the Amazon ECS wire types: the requests, responses and
// resources (Service, ServiceDeployment, TaskDefinition, Task...) of the
// operations cutover serves, exactly as the ECS JSON 1.1 protocol spells
// them. The API layer decodes request bodies into these types and
// encodes them back into responses, and the store persists them as JSON,
// so one definition serves the wire and the disk.
//
// types_gen.go is generated from the botocore ECS model embedded in
// internal/awsmodel (see generate.go; run go generate after changing the
// list of operations). Only Time (time.go) and the pointer helpers
// (helpers.go) are written by hand.
//
// Conventions of the generated types:
//   - Every field has a json tag with the member's exact name and
//     omitempty.
//   - Numbers, booleans, timestamps and nested structures are pointers, so
//     an explicit 0 or false is kept and sent, and absent means nil. Use
//     Int32, Bool, TimeOf... to build them and Int32Value, BoolValue... to
//     read them.
//   - Enums are named string types with one constant per value, such as
//     LaunchTypeFargate; Values lists them.
//   - Lists are slices of values. Decoding an explicit [] yields a non-nil
//     empty slice and an absent list yields nil, so handlers can tell
//     "clear the list" from "leave it" (as UpdateService's loadBalancers
//     needs); encoding omits both.
//   - Free-form documents (such as a lifecycle hook's hookDetails) are
//     json.RawMessage.
//
// Requests should be checked with awsmodel.ECS().ValidateJSONInput before
// they are decoded: the validator refuses what these types cannot hold.
package ecs
