// Command testapp is the conformance suite's test app (see
// runtimetest.AppMain) as a program of its own, for container images:
// built static, it is all a test image needs.
package main

import (
	"os"

	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

func main() {
	_ = os.Setenv(runtimetest.AppEnv, "1")
	runtimetest.AppMain()
}
