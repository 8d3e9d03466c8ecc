package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/cutover/cutover/internal/lb/lbserver"
)

// lbFlags defines the flags of cutover lb on a new flag set, which
// writes its usage to stderr.
func lbFlags(stderr io.Writer) (fs *flag.FlagSet, opts *lbserver.Options, level *string) {
	fs = flag.NewFlagSet("cutover lb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts = &lbserver.Options{}
	fs.StringVar(&opts.Dir, "dir", "./.cutover/lb", "directory for the persisted configuration (config.json) and the admin socket (admin.sock)")
	fs.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", lbserver.DefaultShutdownTimeout, "how long in-flight requests may take to finish on SIGTERM")
	level = fs.String("log-level", "info", "log level: debug, info, warn or error")
	return fs, opts, level
}

// runLB is cutover lb: the load balancer data plane, until SIGINT or
// SIGTERM. It parses its flags itself, with the standard flag package.
func runLB(args []string, _, stderr io.Writer) error {
	fs, opts, level := lbFlags(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	logger, err := newLogger(*level, stderr)
	if err != nil {
		return err
	}
	opts.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return lbserver.Run(ctx, *opts)
}
