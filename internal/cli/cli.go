// Package cli implements the cutover command line, one file per command
// or small group of commands, on github.com/spf13/cobra.
//
// The commands that run cutover itself (server, lb, and the hidden shim
// and pause that the runtimes start) parse their own flags with the
// standard flag package, exactly as before the move to cobra: cobra only
// dispatches to them and knows their flags for help and completion. The
// other commands are clients of a server's public API (package client),
// as any program could be: deploy, status, deployments, approve, reject,
// rollback, end-bake, logs and events. They print for people by default
// and JSON with --output json, and end with the exit codes of
// exitcodes.go.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// Version is the cutover version, set at build time with
// -ldflags "-X github.com/cutover/cutover/internal/cli.Version=...".
var Version = "dev"

// Main runs the cutover command line and returns the exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

// app is one run of the command line: where it writes, its environment,
// and the flags every client command shares.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	loc            *time.Location
	// interval is how often a followed deployment or log is read again.
	interval time.Duration

	// Flags of the client commands (clientflags.go).
	endpoint string
	profile  string
	output   string
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now, loc: time.Local, interval: time.Second}
}

func run(args []string, stdout, stderr io.Writer) int {
	return newApp(stdout, stderr).run(context.Background(), args)
}

// run runs the command args name and returns the exit code; it prints
// the error of a command that failed.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	if len(args) == 0 {
		root.SetOut(a.stderr)
		root.Usage()
		return exitUsage
	}
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(err)
	if err != nil && code != exitOK && !errors.Is(err, errReported) {
		fmt.Fprintf(a.stderr, "%s: %v\n", cmd.CommandPath(), err)
		if code == exitUsage && cmd.HasAvailableFlags() && !cmd.DisableFlagParsing {
			fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// rootCommand builds the command tree.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "cutover",
		Short: "ECS-style deployments (blue/green, linear, canary, rolling) on machines you own",
		Long: "cutover: ECS-style deployments (blue/green, linear, canary, rolling) on machines you own.\n\n" +
			"It is one binary: `cutover server` runs the control plane (the ECS API, the ELBv2 API, the\n" +
			"load balancer, the deployment engine); the other commands talk to a running server.\n" +
			"Exit codes: " + exitCodesSummary,
		Args:              cobra.ArbitraryArgs,
		RunE:              noSuchCommand,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		Version:           Version,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("cutover {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddGroup(&cobra.Group{ID: groupDeploy, Title: "Deploying and operating services:"},
		&cobra.Group{ID: groupRun, Title: "Running cutover:"})
	a.addClientFlags(root)
	root.AddCommand(
		a.deployCommand(), a.statusCommand(), a.deploymentsCommand(), a.approveCommand(), a.rejectCommand(),
		a.rollbackCommand(), a.endBakeCommand(), a.logsCommand(), a.eventsCommand(),
		stdFlagCommand("server", "Run the control plane (ECS API, controller, runtime)", false, runServer, serverFlagSet),
		stdFlagCommand("lb", "Run the load balancer data plane", false, runLB, lbFlagSet),
		stdFlagCommand("shim", "Supervise one task's processes (started by the process runtime)", true, runShim, nil),
		stdFlagCommand("pause", "Hold a task's network namespace (started by the docker runtime)", true, runPause, nil),
		a.completionCommand(root), a.versionCommand(),
	)
	return root
}

// Command groups of the help.
const (
	groupDeploy = "deploy"
	groupRun    = "run"
)

// noSuchCommand is the run of a command that only groups others: it
// refuses what is left on the command line, or shows the usage when
// nothing is.
func noSuchCommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(fmt.Errorf("unknown command %q", args[0]))
	}
	cmd.SetOut(cmd.ErrOrStderr())
	cmd.Usage()
	return &exitErr{code: exitUsage, err: errReported}
}

func serverFlagSet() *flag.FlagSet { fs, _, _ := serverFlags(io.Discard); return fs }
func lbFlagSet() *flag.FlagSet     { fs, _, _ := lbFlags(io.Discard); return fs }

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		GroupID: groupRun,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "cutover", Version)
			return nil
		},
	}
}

// newLogger returns a text logger on w at the level named by level.
func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})), nil
}
