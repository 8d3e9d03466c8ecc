// Command pause is the pod sandbox's process: it holds the pod's
// namespaces and does nothing until the runtime stops it. It is built
// static and put alone into a FROM-scratch image (see mkimage), because no
// registry is reachable to pull registry.k8s.io/pause from.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}
