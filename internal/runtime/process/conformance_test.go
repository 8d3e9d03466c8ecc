package process

import (
	"testing"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// TestConformance runs the runtime.Driver conformance suite.
func TestConformance(t *testing.T) {
	runtimetest.Run(t, func(t *testing.T) runtime.Driver {
		return newTestDriver(t, testConfig(t))
	}, runtimetest.SelfApp(t))
}
