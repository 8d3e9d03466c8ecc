package elbapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/sigv4"
	"github.com/cutover/cutover/internal/store"
)

// Error is an ELBv2 error as it goes on the wire: its code, message and
// HTTP status. Codes of the model's error shapes come from the shape's
// error block (the shape TargetGroupNotFoundException has the code
// TargetGroupNotFound); the protocol's own codes (ValidationError,
// InvalidAction...) are not in the model.
type Error struct {
	Code    string
	Message string
	Status  int
}

// Error returns the code and message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Model error shapes the API answers with.
const (
	errLoadBalancerNotFound        = "LoadBalancerNotFoundException"
	errTargetGroupNotFound         = "TargetGroupNotFoundException"
	errListenerNotFound            = "ListenerNotFoundException"
	errRuleNotFound                = "RuleNotFoundException"
	errPriorityInUse               = "PriorityInUseException"
	errDuplicateListener           = "DuplicateListenerException"
	errDuplicateTargetGroupName    = "DuplicateTargetGroupNameException"
	errDuplicateLoadBalancerName   = "DuplicateLoadBalancerNameException"
	errDuplicateTagKeys            = "DuplicateTagKeysException"
	errResourceInUse               = "ResourceInUseException"
	errInvalidTarget               = "InvalidTargetException"
	errTooManyTargets              = "TooManyTargetsException"
	errTooManyTags                 = "TooManyTagsException"
	errTooManyListeners            = "TooManyListenersException"
	errTooManyRules                = "TooManyRulesException"
	errInvalidConfiguration        = "InvalidConfigurationRequestException"
	errInvalidAction               = "InvalidLoadBalancerActionException"
	errUnsupportedProtocol         = "UnsupportedProtocolException"
	errOperationNotPermitted       = "OperationNotPermittedException"
	errTargetGroupAssociationLimit = "TargetGroupAssociationLimitException"
	errHealthUnavailable           = "HealthUnavailableException"
)

// Codes of the query protocol that no model shape defines.
const (
	codeValidation     = "ValidationError"
	codeInvalidAction  = "InvalidAction"
	codeMissingAction  = "MissingAction"
	codeInternal       = "InternalFailure"
	codeRequestTooBig  = "RequestEntityTooLarge"
	codeMethodNotAllow = "MethodNotAllowed"
)

// apiErr builds an error named by a model error shape, whose code and
// status come from the model, or by a protocol code (status 400).
func apiErr(name, format string, args ...any) *Error {
	e := &Error{Code: name, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
	if s, ok := awsmodel.ELBv2().Shapes[name]; ok && s.Error != nil {
		e.Code = s.Error.Code
		if s.Error.HTTPStatusCode != 0 {
			e.Status = s.Error.HTTPStatusCode
		}
	}
	return e
}

// validation builds a ValidationError.
func validation(format string, args ...any) *Error { return apiErr(codeValidation, format, args...) }

// errorResponse maps any error of an operation to what is sent back.
// Errors that are neither API errors nor model validation errors are the
// server's fault: a 500 InternalFailure whose message does not leak
// internals (the caller logs the real error).
func errorResponse(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var ve *awsmodel.ValidationError
	if errors.As(err, &ve) {
		return &Error{Code: codeValidation, Message: ve.Message, Status: http.StatusBadRequest}
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &Error{Code: se.QueryCode(), Message: se.Message, Status: se.QueryStatus()}
	}
	if errors.Is(err, store.ErrNotLeader) { // a takeover: AWS clients retry a 503
		return &Error{Code: "ServiceUnavailable", Message: "The server " + store.ErrNotLeader.Error() + ".", Status: http.StatusServiceUnavailable}
	}
	if de := store.DiskError(err); de != nil { // the operator must act: say why
		return &Error{Code: codeInternal, Message: "The server could not store the request: " + de.Error() + ".", Status: http.StatusInternalServerError}
	}
	return &Error{Code: codeInternal, Message: "The request processing has failed because of an unknown error.", Status: http.StatusInternalServerError}
}
