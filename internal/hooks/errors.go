package hooks

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Errors an invocation can be checked for with errors.Is.
var (
	// ErrTimeout means the invocation did not finish within its timeout.
	ErrTimeout = errors.New("timed out")
	// ErrReplyTooLarge means the reply exceeded MaxReplyBytes.
	ErrReplyTooLarge = errors.New("reply larger than 6 MB")
	// ErrFunctionError means a Lambda function ran but failed (the Invoke
	// API answered with X-Amz-Function-Error).
	ErrFunctionError = errors.New("function error")
	// ErrNoCredentials means a Lambda function had to be invoked on AWS
	// but no credentials could be found.
	ErrNoCredentials = errors.New("no Lambda endpoint configured (cutover server --lambda-endpoint) and no AWS credentials found")
)

// wrapError is an error whose message is msg while it still wraps err, so
// that a verbose cause (an SDK error, a *url.Error) can be summarised for
// people without hiding it from errors.Is and errors.As.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// snippet returns at most n bytes of b with runs of white space collapsed
// into one space, marking a cut with "…". With tail set it keeps the end
// of b rather than its start.
func snippet(b []byte, n int, tail bool) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	if tail {
		i := len(s) - n
		for i < len(s) && !utf8.RuneStart(s[i]) {
			i++
		}
		return "…" + s[i:]
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
