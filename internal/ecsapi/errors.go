package ecsapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/sigv4"
	"github.com/cutover/cutover/internal/store"
)

// Error is an AWS-shaped API error: the exception type, its message and
// the HTTP status it is answered with.
type Error struct {
	Type    string
	Message string
	Status  int
}

// Error returns the exception type and message.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

func apiErr(typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func invalidParam(format string, args ...any) *Error {
	return apiErr("InvalidParameterException", format, args...)
}

func clientErr(format string, args ...any) *Error {
	return apiErr("ClientException", format, args...)
}

var (
	errClusterNotFound           = apiErr("ClusterNotFoundException", "Cluster not found.")
	errServiceNotFound           = apiErr("ServiceNotFoundException", "Service not found.")
	errServiceNotActive          = apiErr("ServiceNotActiveException", "Service was not ACTIVE.")
	errServiceDeploymentNotFound = apiErr("ServiceDeploymentNotFoundException", "Service deployment not found.")
)

// ErrorResponse maps any error from an operation to what is sent back:
// the HTTP status, the exception type and the message. Errors that are
// not API errors are the server's fault: a 500 whose message does not
// leak internals (the caller logs the real error), except that a data
// directory that is full or read-only is said so, for the operator to
// act on.
func ErrorResponse(err error) (status int, typ, msg string) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Type, ae.Message
	}
	var ve *awsmodel.ValidationError
	if errors.As(err, &ve) {
		return http.StatusBadRequest, ve.Type, ve.Message
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.JSONStatus(), se.JSONType(), se.Message
	}
	if errors.Is(err, store.ErrNotLeader) { // a takeover: AWS clients retry a 503
		return http.StatusServiceUnavailable, "ServerException", "The server " + store.ErrNotLeader.Error() + "."
	}
	if de := store.DiskError(err); de != nil {
		return http.StatusInternalServerError, "ServerException", "The server could not store the request: " + de.Error() + "."
	}
	return http.StatusInternalServerError, "ServerException", "The server encountered an internal error."
}
