// Package hooks delivers lifecycle-hook events to wherever a hook lives
// and returns the raw reply. It is the transport only: the deployment
// engine builds the event (a JSON document) and parses the reply.
//
// An Invoker resolves each hook target in this order:
//
//   - an http:// or https:// URL is a URL hook: the event is POSTed as
//     the body, signed with the shared secret (see package signature), and
//     a 2xx answer's body is the reply;
//   - anything else is a Lambda function, given as a full ARN, a name, or
//     NAME:QUALIFIER. A function whose name has a local command configured
//     runs that command (event on stdin, reply on stdout); any other one is
//     invoked through the Lambda Invoke API, on AWS with the default
//     credential chain or on a local endpoint such as
//     `sam local start-lambda` or the Lambda runtime interface emulator.
//
// Every invocation is bounded by a timeout and a reply size limit, is
// never retried here (the caller decides), and fails with an error short
// enough to show a person as a deployment's status reason.
package hooks
