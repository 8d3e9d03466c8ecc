package events

import "errors"

// ErrInvalidConfig means New was given a configuration it cannot run.
var ErrInvalidConfig = errors.New("invalid events configuration")
