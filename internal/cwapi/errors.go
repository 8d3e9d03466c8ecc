package cwapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/awsquery"
	"github.com/cutover/cutover/internal/sigv4"
	"github.com/cutover/cutover/internal/store"
)

// Error is a CloudWatch error as it goes on the wire. Errors of the
// model's error shapes (ResourceNotFound, InvalidParameterValueException,
// LimitExceededFault...) carry the shape's name, which the JSON and CBOR
// protocols send as __type, and its query code (ResourceNotFound,
// InvalidParameterValue, LimitExceeded...), which the query protocol
// sends as <Code> and the others in the x-amzn-query-error header, with
// the shape's HTTP status. The protocols' own errors (ValidationError,
// InvalidAction, SerializationException...) have a code alone.
type Error struct {
	// Shape is the model's error shape, or "" for a protocol error.
	Shape string
	// Type, when set, is the __type of the JSON and CBOR protocols for an
	// error that is not a model shape and whose type differs from its
	// query code (the signature errors).
	Type string
	// Code is the query error code.
	Code    string
	Message string
	Status  int
}

// Error returns the code and message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Model error shapes the API answers with.
const (
	errResourceNotFound     = "ResourceNotFound"
	errInvalidValue         = "InvalidParameterValueException"
	errInvalidCombination   = "InvalidParameterCombinationException"
	errMissingParameter     = "MissingRequiredParameterException"
	errLimitExceeded        = "LimitExceededFault"
	errInvalidNextToken     = "InvalidNextToken"
	errInvalidFormat        = "InvalidFormatFault"
	errInternalServiceFault = "InternalServiceFault"
)

// Codes of the protocols that no model shape defines.
const (
	codeValidation     = "ValidationError"
	codeSerialization  = "SerializationException"
	codeInvalidAction  = "InvalidAction"
	codeMissingAction  = "MissingAction"
	codeRequestTooBig  = "RequestEntityTooLarge"
	codeMethodNotAllow = "MethodNotAllowed"
)

// shapeNamespace qualifies shape names in __type, as Smithy services do.
const shapeNamespace = "com.amazonaws.cloudwatch#"

// apiErr builds an error named by a model error shape, whose code and
// status come from the model, or by a protocol code (status 400).
func apiErr(name, format string, args ...any) *Error {
	e := &Error{Code: name, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
	if s, ok := awsmodel.CloudWatch().Shapes[name]; ok && s.Exception {
		e.Shape = name
		if s.Error != nil {
			if s.Error.Code != "" {
				e.Code = s.Error.Code
			}
			if s.Error.HTTPStatusCode != 0 {
				e.Status = s.Error.HTTPStatusCode
			}
		}
	}
	return e
}

// invalidValue builds an InvalidParameterValue error.
func invalidValue(format string, args ...any) *Error { return apiErr(errInvalidValue, format, args...) }

// combination builds an InvalidParameterCombination error.
func combination(format string, args ...any) *Error {
	return apiErr(errInvalidCombination, format, args...)
}

// specKinds maps the kinds of alarms.SpecError to error shapes.
var specKinds = map[string]string{
	alarms.KindInvalidValue: errInvalidValue,
	alarms.KindCombination:  errInvalidCombination,
	alarms.KindMissing:      errMissingParameter,
}

// errorResponse maps any error of an operation to what is sent back; p
// is the protocol of the request. Errors that are none of the API's are
// the server's fault: a 500 InternalServiceError whose message does not
// leak internals (the caller logs the real error).
func errorResponse(err error, p protocol) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var se *alarms.SpecError
	if errors.As(err, &se) {
		kind, ok := specKinds[se.Kind]
		if !ok {
			kind = errInvalidValue
		}
		return apiErr(kind, "%s", se.Message)
	}
	var pe *awsquery.ParamError
	if errors.As(err, &pe) {
		return apiErr(codeValidation, "%s", pe.Message)
	}
	var sig *sigv4.Error
	if errors.As(err, &sig) {
		if p == protoQuery {
			return &Error{Code: sig.QueryCode(), Message: sig.Message, Status: sig.QueryStatus()}
		}
		return &Error{Code: sig.QueryCode(), Type: sig.JSONType(), Message: sig.Message, Status: sig.JSONStatus()}
	}
	var ve *awsmodel.ValidationError
	if errors.As(err, &ve) {
		if ve.Type == awsmodel.TypeSerialization && p != protoQuery {
			return apiErr(codeSerialization, "%s", ve.Message)
		}
		return apiErr(codeValidation, "%s", ve.Message)
	}
	if errors.Is(err, store.ErrNotLeader) { // a takeover: AWS clients retry a 503
		return &Error{Code: "ServiceUnavailable", Message: "The server " + store.ErrNotLeader.Error() + ".", Status: http.StatusServiceUnavailable}
	}
	return apiErr(errInternalServiceFault, "The request processing has failed because of an unknown error.")
}
