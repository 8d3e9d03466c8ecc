package lb

import "errors"

// ErrInvalidConfig means a Config was refused by validation; the
// error's text says which field is wrong.
var ErrInvalidConfig = errors.New("invalid load balancer configuration")

// ErrStaleVersion means a Config's Version is lower than the one being
// served, so applying it would roll the data plane back.
var ErrStaleVersion = errors.New("configuration version is older than the current one")

// ErrListen means a listener address of a Config could not be bound.
var ErrListen = errors.New("cannot bind listener")

// ErrClosed means the Balancer has been closed.
var ErrClosed = errors.New("load balancer closed")

// ErrRefused is returned by Client.Apply when the data plane refused a
// configuration for a reason other than its version (it is invalid, or
// a listener cannot be bound); the error's text carries the reason.
var ErrRefused = errors.New("configuration refused by the load balancer")

// errNoTarget means a target group has no target a request can go to.
var errNoTarget = errors.New("no routable target in target group")
