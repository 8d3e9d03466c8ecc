package awsquery

import "fmt"

// ParamError is a query request whose parameters do not fit the
// operation's input shape: a bad or missing list index, a member under a
// scalar, a parameter given twice. Services answer it with their
// validation error code (ValidationError). Find it with errors.As.
type ParamError struct {
	// Message is the AWS-style message to send back.
	Message string
}

// Error returns the message.
func (e *ParamError) Error() string { return e.Message }

// paramErr builds a ParamError.
func paramErr(format string, args ...any) *ParamError {
	return &ParamError{Message: fmt.Sprintf(format, args...)}
}
