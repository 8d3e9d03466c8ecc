// Package client is a small client of a cutover server's public API, the
// one the command line uses and any other program could: the ECS
// operations and cutover's own (package cutoverapi) over the JSON 1.1
// protocol, signed with SigV4 when credentials are at hand; a task
// container's logs; and the event stream (Server-Sent Events), read with
// resumption after a lost connection.
//
// Errors the server answers are *APIError values, AWS-shaped (exception
// type, message, HTTP status), found with errors.As. Everything else
// (the network, a response that cannot be read) is wrapped with what was
// being done.
package client
