// Package elbapi serves the Elastic Load Balancing v2 API in the AWS query
// protocol (POST / with a form-encoded body Action=...&Version=2015-12-01,
// XML answers) over the control plane's store, so that `aws elbv2
// --endpoint-url` and the AWS SDKs work against cutover unmodified.
//
// One decoder serves every operation: the form parameters (lists as
// Name.member.N, structures as Parent.Child, maps as Name.entry.N.key) are
// turned into the JSON document of the operation's input shape, guided by
// the botocore model; that document is checked with
// awsmodel.ValidateJSONInput and decoded into the generated elbv2 *Input
// type. One encoder writes every answer from the generated *Output types'
// xml tags. Errors carry the model's error codes and HTTP statuses.
//
// Operations run in one store transaction each; after a successful write
// the API calls Config.Changed, from which the server pushes the compiled
// load balancer configuration (state.Tx.LBConfig) to the data plane.
//
// Choices where cutover differs from AWS, or AWS leaves room:
//   - Every load balancer is an application load balancer whose listeners
//     bind the one address of --lb-address. Its DNSName is that address
//     (127.0.0.1 by default; "localhost" when it is a wildcard such as
//     0.0.0.0), so `curl http://$DNSName:$port` reaches it. As all
//     listeners share one address, a port used by one load balancer's
//     listener is refused to any other (DuplicateListener).
//   - Listeners speak HTTP or HTTPS, target groups HTTP. An HTTPS
//     listener has exactly one certificate, named by an ARN that the
//     server's configuration maps to PEM files (tls.certificates; any
//     other ARN is CertificateNotFound), and an ELBv2 security policy
//     that sets the TLS versions (lb.SSLPolicies; others are
//     SSLPolicyNotFound). DescribeListenerCertificates lists the default
//     certificate; there is no certificate list besides it.
//   - Actions are forward and fixed-response; conditions are
//     path-pattern, host-header, http-header, query-string and
//     http-request-method. Anything else the model allows is refused
//     with InvalidConfigurationRequest, InvalidLoadBalancerAction or
//     UnsupportedProtocol rather than accepted and ignored.
//   - Targets of either type (instance or ip) are a host and a port: for
//     type ip the Id must be an IP address, for type instance any host
//     name or address (there are no EC2 instances).
//   - Create operations are idempotent as in AWS: creating a load
//     balancer, target group or listener that exists with the same
//     settings returns it; different settings are a Duplicate* error.
//   - Forward weights are integers 0–999 (default 1); all of a forward's
//     weights may be 0, in which case the data plane has nowhere to send
//     the request. A target group serves one load balancer only
//     (TargetGroupAssociationLimit), as in AWS.
//   - DeleteTargetGroup of a missing group succeeds (the model gives it no
//     not-found error); DeregisterTargets of a target that is not
//     registered is InvalidTarget.
//   - Attributes: a target group's deregistration_delay.timeout_seconds
//     (0–3600, default 300) and a load balancer's
//     deletion_protection.enabled are honoured, idle_timeout is stored;
//     other known attributes accept their default value only, unknown
//     keys are a ValidationError.
//   - Validation errors name the member in the model's JSON form
//     (DefaultActions[0].ForwardConfig.TargetGroups[1].Weight); errors in
//     the form's structure (Tags.member.0, a gap) name the form key.
//   - DescribeTargetHealth asks Config.Health (the data plane). Without
//     it, or for a target it does not know yet, a registered target is
//     "initial" when a listener or rule forwards to its group and
//     "unused" otherwise.
package elbapi
