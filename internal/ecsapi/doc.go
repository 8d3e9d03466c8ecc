// Package ecsapi serves the Amazon ECS JSON 1.1 API (POST / with
// X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>) over the
// control plane's store, so that the aws CLI and the AWS SDKs work
// against cutover unmodified. Every request is checked against the
// botocore model (types, required members, ranges, enums) before it is
// decoded; operations run in one store transaction each and wake the
// controller when they change desired state.
package ecsapi
