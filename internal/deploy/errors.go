package deploy

import "errors"

// ErrIllegalTransition means a deployment status change is not allowed.
var ErrIllegalTransition = errors.New("illegal service deployment status transition")

// Errors of ContinueServiceDeployment.
var (
	// ErrHookNotFound means the deployment has no hook with that ID.
	ErrHookNotFound = errors.New("lifecycle hook not found")
	// ErrHookNotAwaiting means the hook does not await an action: it is
	// resolved, expired, or not at the deployment's current stage.
	ErrHookNotAwaiting = errors.New("lifecycle hook is not awaiting an action")
)

// Errors of EndBake.
var (
	// ErrNoBakeTime means the deployment's strategy has no bake time.
	ErrNoBakeTime = errors.New("the deployment has no bake time")
	// ErrBakeOver means the bake time is over or will not come: the
	// deployment passed it, is rolling back or has ended.
	ErrBakeOver = errors.New("the deployment's bake time is over")
)
