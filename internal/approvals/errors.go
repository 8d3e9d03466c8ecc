package approvals

import "errors"

// ErrInvalidConfig is returned by New for a configuration it cannot run.
var ErrInvalidConfig = errors.New("approvals: invalid configuration")

// Errors of link tokens, returned by parseToken and verify. A token
// that was used already is found in the store, not by verify.
var (
	// errForged is a token that is malformed, names no configured link
	// or whose signature does not match.
	errForged = errors.New("the approval link is not valid")
	// errExpired is a genuine token past its expiry.
	errExpired = errors.New("the approval link expired")
)
