// Command cutover is an ECS-compatible deployment control plane for
// machines you own. See internal/cli for its commands.
package main

import (
	"os"

	"github.com/cutover/cutover/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
