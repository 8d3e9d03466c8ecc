// Package awsquery speaks the AWS query protocol for a service model:
// it turns a form-encoded request (Action=...&Version=...&A.member.1=x)
// into the JSON form of the operation's input shape, ready for
// awsmodel's validator and the generated types, and writes the XML
// answers (<OpResponse xmlns=…><OpResult>…) and error documents
// (<ErrorResponse><Error><Type>Sender</Type><Code>…). The CloudWatch API
// (internal/cwapi) uses it; the same rules serve any query service, such
// as ELBv2, whose elbapi keeps an earlier copy.
package awsquery
