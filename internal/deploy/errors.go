package deploy

import "errors"

// ErrIllegalTransition means a deployment status change is not allowed.
var ErrIllegalTransition = errors.New("illegal service deployment status transition")
