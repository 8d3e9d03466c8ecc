package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
)

// Output formats of --output.
const (
	outputText = "text"
	outputJSON = "json"
)

// endpointEnv names the environment variable with the server's address.
const endpointEnv = "CUTOVER_ENDPOINT"

// addClientFlags adds the flags of every client command to root, for all
// its commands.
func (a *app) addClientFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&a.endpoint, "endpoint-url", "", "cutover server to talk to (default $"+endpointEnv+", else "+client.DefaultEndpoint+")")
	pf.StringVar(&a.endpoint, "endpoint", "", "same as --endpoint-url")
	pf.MarkHidden("endpoint")
	pf.StringVar(&a.profile, "profile", "", "AWS profile whose credentials sign the requests (default: the AWS environment variables and shared files; unsigned when there are none)")
	pf.StringVarP(&a.output, "output", "o", outputText, "output format: text or json")
	root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{outputText, outputJSON}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if a.output != outputText && a.output != outputJSON {
			return usageErr(fmt.Errorf("--output must be text or json, not %q", a.output))
		}
		return nil
	}
}

// jsonOutput reports whether --output json was asked for.
func (a *app) jsonOutput() bool { return a.output == outputJSON }

// client returns a client of the server the flags name.
func (a *app) client(ctx context.Context) (*client.Client, error) {
	ep := a.endpoint
	if ep == "" {
		ep = a.getenv(endpointEnv)
	}
	creds, region, err := client.LoadCredentials(ctx, a.profile)
	if err != nil {
		return nil, err
	}
	c, err := client.New(client.Options{Endpoint: ep, Credentials: creds, Region: region, UserAgent: "cutover-cli/" + Version})
	if err != nil {
		return nil, usageErr(err)
	}
	return c, nil
}

// writeJSON writes v as indented JSON, the output of --output json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// serviceFlags are the --cluster and --service flags of a command.
type serviceFlags struct {
	cluster, service string
}

// add adds the flags to cmd, with completion of their values from the
// server; service names what the service flag is for.
func (s *serviceFlags) add(a *app, cmd *cobra.Command, service string) {
	cmd.Flags().StringVar(&s.cluster, "cluster", "default", "cluster of the service")
	cmd.Flags().StringVar(&s.service, "service", "", service)
	cmd.RegisterFlagCompletionFunc("cluster", a.completeClusters)
	cmd.RegisterFlagCompletionFunc("service", a.completeServices)
}

// completionTimeout bounds what a completion asks the server.
const completionTimeout = 2 * time.Second

// jsonLine returns v as one line of JSON, newline included.
func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
