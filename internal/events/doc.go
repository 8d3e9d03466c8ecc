// Package events delivers the control plane's events to the outside
// world. The events themselves are written by package state, in the same
// store transaction as the change that causes them, to a durable log
// (state.Tx.AppendEvent); this package follows that log and
//
//   - streams it to HTTP clients as Server-Sent Events (Events.ServeHTTP),
//     resumable with Last-Event-ID and filterable by detail type and
//     resource;
//   - posts every event to each configured webhook sink, signed with the
//     sink's secret (package signature), at least once and in order, with
//     a per-sink cursor persisted in the store so a restart resumes where
//     delivery stopped;
//   - prunes the log once every sink has an event and it is older than the
//     retention, and unconditionally after the maximum retention.
//
// Events are EventBridge envelopes (state.Event) shaped like those of
// Amazon ECS: "ECS Deployment State Change", "ECS Hook State Change",
// "ECS Task State Change" and "ECS Service Action".
package events
