package awsmodel

import "errors"

// Errors returned by this package; check them with errors.Is.
var (
	// ErrUnknownOperation means the model has no operation of that name.
	// The API layer answers it with an UnknownOperationException.
	ErrUnknownOperation = errors.New("unknown operation")
	// ErrInvalidModel means a model document could not be parsed or
	// refers to shapes it does not define.
	ErrInvalidModel = errors.New("invalid model")
)

// Exception types reported in ValidationError.Type.
const (
	// TypeSerialization is reported when the body is not valid JSON or a
	// value has the wrong JSON type for its shape.
	TypeSerialization = "SerializationException"
	// TypeInvalidParameter is reported when a well-typed value breaks a
	// constraint of the model: required, length, range or enum.
	TypeInvalidParameter = "InvalidParameterException"
)

// ValidationError is a request the model refuses. It is returned as a
// *ValidationError; find it with errors.As.
type ValidationError struct {
	// Type is the AWS exception type to answer with: TypeSerialization
	// or TypeInvalidParameter.
	Type string
	// Message is the AWS-style message to send back, for example
	// "1 validation error detected: Value null at 'cluster' failed to
	// satisfy constraint: Member must not be null".
	Message string
	// Path is the offending member's path in the request, in the form
	// described on ValidateJSONInput ("" for the whole body).
	Path string
}

// Error returns the exception type and message.
func (e *ValidationError) Error() string {
	return e.Type + ": " + e.Message
}
