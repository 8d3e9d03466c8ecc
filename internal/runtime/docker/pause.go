package docker

import (
	"os"
	"os/signal"
	"syscall"
)

// PauseMain is the process of a task's network sandbox: it does nothing
// until SIGTERM or SIGINT, then returns the exit code 0. The cutover
// binary runs it as its hidden "pause" command inside the sandbox image.
func PauseMain() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	return 0
}
