package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// stdFlagCommand is a command that parses its own flags with the
// standard flag package (server, lb) or takes raw arguments (shim,
// pause): cobra passes it every argument untouched, so `--flag value`,
// `--flag=value` and `-flag value` keep working as they always did, as
// do the argument forms the runtimes use. flags, when not nil, returns
// the command's flag set, for its help and shell completion.
func stdFlagCommand(name, short string, hidden bool, run func(args []string, stdout, stderr io.Writer) error, flags func() *flag.FlagSet) *cobra.Command {
	cmd := &cobra.Command{
		Use:                name + " [flags]",
		Short:              short,
		Hidden:             hidden,
		GroupID:            groupRun,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := run(args, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		},
	}
	if hidden {
		cmd.GroupID = ""
	}
	if flags == nil {
		return cmd
	}
	// Known to cobra for completion only; the command parses them.
	flags().VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			cmd.Flags().Bool(f.Name, f.DefValue == "true", f.Usage)
			return
		}
		cmd.Flags().String(f.Name, f.DefValue, f.Usage)
	})
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) {
		w := c.OutOrStdout()
		fmt.Fprintf(w, "%s.\n\nUsage: %s [flags]\n\nFlags:\n", strings.TrimSuffix(short, "."), c.CommandPath())
		fs := flags()
		fs.SetOutput(w)
		fs.PrintDefaults()
	})
	return cmd
}
