package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/cutover/cutover/internal/server"
	"github.com/cutover/cutover/internal/state"
)

// serverFlags defines the flags of cutover server on a new flag set,
// which writes its usage to stderr.
func serverFlags(stderr io.Writer) (fs *flag.FlagSet, cfg *server.Config, level *string) {
	fs = flag.NewFlagSet("cutover server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg = &server.Config{}
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:7400", "address of the API endpoint (ECS API, /healthz)")
	fs.StringVar(&cfg.DataDir, "data-dir", "./.cutover", "directory for the state store and task files")
	fs.StringVar(&cfg.Store, "store", "", "state store: a PostgreSQL URL (postgres://user@host/db; the password from PGPASSWORD or ~/.pgpass rather than the URL, see docs/stores.md); default: the embedded store in --data-dir")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "AWS region used in ARNs")
	fs.StringVar(&cfg.AccountID, "account-id", "000000000000", "AWS account ID used in ARNs")
	fs.StringVar(&cfg.Runtime, "runtime", state.RuntimeProcess, "runtime of the tasks of clusters without the "+state.RuntimeTag+" tag: "+runtimeChoices())
	fs.StringVar(&cfg.Kubernetes.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster the kubernetes runtime runs pods on (see docs/kubernetes.md); default: the in-cluster configuration when the server runs in a pod, else no kubernetes runtime")
	fs.StringVar(&cfg.Kubernetes.Namespace, "kube-namespace", "default", "Kubernetes namespace of the kubernetes runtime's pods")
	fs.StringVar(&cfg.AdvertiseURL, "advertise-url", "", "URL the other servers on the same --store forward API writes to while this one leads (default: the --listen address, with the host's name for 0.0.0.0)")
	fs.StringVar(&cfg.LBAddress, "lb-address", "127.0.0.1", "address the load balancer binds listener ports on")
	fs.StringVar(&cfg.ConfigFile, "config", "", "configuration file (YAML): command hooks, signing secret, event webhooks")
	fs.StringVar(&cfg.LambdaEndpoint, "lambda-endpoint", "", "Lambda Invoke API endpoint for Lambda hooks, e.g. http://127.0.0.1:3001 (sam local start-lambda); default: AWS Lambda with the AWS credentials")
	fs.StringVar(&cfg.AccessKeys, "access-keys", "", "access keys file (ACCESS_KEY_ID SECRET [NAME] per line): every API call must be signed (SigV4) by one of them, and the dashboard requires a sign-in with one")
	fs.BoolVar(&cfg.Insecure, "insecure", false, "serve without --access-keys on an address other than loopback (anyone who reaches it can drive deployments)")
	level = fs.String("log-level", "info", "log level: debug, info, warn or error")
	return fs, cfg, level
}

// runtimeChoices lists the runtimes for the help and the usage error:
// "process, docker or kubernetes".
func runtimeChoices() string {
	n := len(state.Runtimes)
	return strings.Join(state.Runtimes[:n-1], ", ") + " or " + state.Runtimes[n-1]
}

// runServer is cutover server: the control plane, until SIGINT or
// SIGTERM. It parses its flags itself, with the standard flag package.
func runServer(args []string, _, stderr io.Writer) error {
	fs, cfg, level := serverFlags(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if !state.KnownRuntime(cfg.Runtime) {
		return fmt.Errorf("%w: --runtime must be %s, not %q", errUsage, runtimeChoices(), cfg.Runtime)
	}
	logger, err := newLogger(*level, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = logger
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return server.Run(ctx, *cfg)
}
