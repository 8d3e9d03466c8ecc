package elbapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/awsmodel"
)

// TestModelErrorCodes checks that every model error shape the API uses
// exists and is answered with the model's code, not the shape's name.
func TestModelErrorCodes(t *testing.T) {
	shapes := []string{
		errLoadBalancerNotFound, errTargetGroupNotFound, errListenerNotFound, errRuleNotFound,
		errPriorityInUse, errDuplicateListener, errDuplicateTargetGroupName, errDuplicateLoadBalancerName,
		errDuplicateTagKeys, errResourceInUse, errInvalidTarget, errTooManyTargets, errTooManyTags,
		errTooManyListeners, errTooManyRules, errInvalidConfiguration, errInvalidAction,
		errUnsupportedProtocol, errOperationNotPermitted, errTargetGroupAssociationLimit, errHealthUnavailable,
	}
	for _, name := range shapes {
		s, ok := awsmodel.ELBv2().Shapes[name]
		if !ok || s.Error == nil {
			t.Errorf("%s: not an error shape of the model", name)
			continue
		}
		e := apiErr(name, "m")
		if e.Code != s.Error.Code || e.Code == name || strings.HasSuffix(e.Code, "Exception") {
			t.Errorf("%s: code %q, want the model's %q", name, e.Code, s.Error.Code)
		}
	}
	if e := apiErr(errHealthUnavailable, "m"); e.Status != http.StatusInternalServerError {
		t.Errorf("HealthUnavailable status = %d, want the model's 500", e.Status)
	}
}

func TestErrorResponse(t *testing.T) {
	wrapped := fmt.Errorf("create rule: %w", apiErr(errPriorityInUse, "taken"))
	if e := errorResponse(wrapped); e.Code != "PriorityInUse" || e.Status != http.StatusBadRequest {
		t.Errorf("wrapped API error: %+v", e)
	}
	ve := &awsmodel.ValidationError{Type: awsmodel.TypeInvalidParameter, Message: "bad"}
	if e := errorResponse(ve); e.Code != codeValidation || e.Message != "bad" {
		t.Errorf("model validation error: %+v", e)
	}
	if e := errorResponse(errors.New("disk on fire")); e.Status != http.StatusInternalServerError || strings.Contains(e.Message, "disk") {
		t.Errorf("internal error: %+v", e)
	}
}
