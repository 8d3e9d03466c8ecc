package client

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// APIError is an error answered by the server: an AWS-shaped exception
// of the ECS or cutover API, or the text of a failed logs or events
// request (whose Type is then empty).
type APIError struct {
	// Type is the exception type without any namespace, such as
	// "ClusterNotFoundException".
	Type string
	// Message is the server's explanation.
	Message string
	// Status is the HTTP status code.
	Status int
	// RequestID is the x-amzn-RequestId of the answer, when it has one.
	RequestID string
}

// Error returns "Type: message", or the message alone when there is no
// type.
func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Type == "" {
		return msg
	}
	return e.Type + ": " + msg
}

// IsType reports whether err is, or wraps, an *APIError of exception type
// typ.
func IsType(err error, typ string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Type == typ
}

// decodeError makes the APIError of a failed response from its status,
// headers and body. The body is the protocol's {"__type", "message"}
// document, or anything else, which then becomes the message.
func decodeError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("x-amzn-RequestId")}
	var doc struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageC string `json:"Message"`
	}
	if json.Unmarshal(body, &doc) == nil && (doc.Type != "" || doc.Message != "" || doc.MessageC != "") {
		e.Type, e.Message = doc.Type, doc.Message
		if e.Message == "" {
			e.Message = doc.MessageC
		}
	} else {
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Type == "" {
		e.Type = resp.Header.Get("x-amzn-ErrorType")
	}
	e.Type = shortType(e.Type)
	return e
}

// shortType drops what AWS may put around an exception type:
// "com.amazonaws.ecs#ClusterNotFoundException" and
// "ClusterNotFoundException:http://internal.amazon.com/..." both become
// "ClusterNotFoundException".
func shortType(t string) string {
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	return t
}
