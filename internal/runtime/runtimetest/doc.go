// Package runtimetest is the conformance suite for runtime.Driver
// implementations. Every driver runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		runtimetest.Run(t, newDriver, app)
//	}
//
// The suite starts tasks whose containers run a small test program (the
// "test app", see AppMain) and checks what the driver reports and what
// the processes really do: serving HTTP on the host port, environment,
// exit codes, stop signals, health checks, dependsOn order, logs. How
// the test app is run is driver-specific and described by an App: the
// process driver re-executes its test binary (SelfApp), an image-based
// driver would run an image containing a binary that calls AppMain.
package runtimetest
