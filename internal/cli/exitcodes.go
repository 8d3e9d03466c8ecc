package cli

import (
	"context"
	"errors"
	"flag"

	"github.com/cutover/cutover/internal/ecs"
)

// Exit codes. deploy and deployments watch end with the code of how the
// deployment ended; every command uses the first three.
const (
	exitOK     = 0 // done; a followed deployment is SUCCESSFUL
	exitError  = 1 // the command failed (the server refused, could not be reached...)
	exitUsage  = 2 // the command line is wrong
	exitRolled = 3 // the followed deployment rolled back (ROLLBACK_SUCCESSFUL)
	exitFailed = 4 // the followed deployment failed and its rollback too (ROLLBACK_FAILED)
	exitStop   = 5 // the followed deployment stopped (STOPPED: a newer one replaced it, it was aborted, or it failed without rollback)
	exitWait   = 6 // --timeout passed before the deployment ended; it goes on
	exitSignal = 130
)

// exitCodesSummary documents the exit codes in the help.
const exitCodesSummary = `0 done (a followed deployment SUCCESSFUL), 1 error, 2 usage error,
3 rolled back, 4 failed (rollback failed too), 5 stopped, 6 --timeout reached, 130 interrupted.`

// errUsage marks an error in how the command was called (exit code 2).
var errUsage = errors.New("usage error")

// usageError is an error in how a command was called; it is errUsage.
type usageError struct{ err error }

// Error, Unwrap and Is make usageError the error it wraps, and errUsage.
func (e usageError) Error() string        { return e.err.Error() }
func (e usageError) Unwrap() error        { return e.err }
func (e usageError) Is(target error) bool { return target == errUsage }

// usageErr marks err as a usage error.
func usageErr(err error) error { return usageError{err} }

// errReported marks an error the command has already told the user about.
var errReported = errors.New("reported")

// exitErr ends a command with a given exit code.
type exitErr struct {
	code int
	err  error
}

// Error and Unwrap make exitErr the error it wraps.
func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// exitCode maps the error of a command to its exit code.
func exitCode(err error) int {
	var ee *exitErr
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitSignal
	}
	return exitError
}

// outcome returns the exit code of a deployment that ended with status
// s, and whether s is an end at all.
func outcome(s ecs.ServiceDeploymentStatus) (code int, ended bool) {
	switch s {
	case ecs.ServiceDeploymentStatusSuccessful:
		return exitOK, true
	case ecs.ServiceDeploymentStatusRollbackSuccessful:
		return exitRolled, true
	case ecs.ServiceDeploymentStatusRollbackFailed:
		return exitFailed, true
	case ecs.ServiceDeploymentStatusStopped:
		return exitStop, true
	}
	return 0, false
}
