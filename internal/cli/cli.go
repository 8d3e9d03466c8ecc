// Package cli implements the cutover command line: one file per command.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// command is one cutover subcommand.
type command struct {
	name    string
	summary string
	hidden  bool
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{name: "server", summary: "Run the control plane (ECS API, controller, runtime)", run: runServer},
		{name: "lb", summary: "Run the load balancer data plane", run: runLB},
		{name: "logs", summary: "Print the output of a task's container", run: runLogs},
		{name: "shim", summary: "Supervise one task's processes (started by the process runtime)", hidden: true, run: runShim},
		{name: "pause", summary: "Hold a task's network namespace (started by the docker runtime)", hidden: true, run: runPause},
		{name: "version", summary: "Print the version", run: runVersion},
	}
}

// Version is the cutover version, set at build time with
// -ldflags "-X github.com/cutover/cutover/internal/cli.Version=...".
var Version = "dev"

// errUsage marks an error in how the command was called (exit code 2).
var errUsage = errors.New("usage error")

// Main runs the cutover command line and returns the exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "cutover %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "cutover %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "cutover: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cutover: ECS-style deployments (blue/green, linear, canary, rolling) on machines you own.")
	fmt.Fprintln(w, "\nUsage: cutover <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'cutover <command> --help' for a command's flags.")
}

func runVersion(_ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "cutover", Version)
	return nil
}

// newLogger returns a text logger on w at the level named by level.
func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}
