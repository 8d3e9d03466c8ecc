package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) deployCommand() *cobra.Command {
	var svc serviceFlags
	var noWait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "deploy --service NAME [--cluster NAME] TASKDEF.json",
		Short:   "Register a task definition and deploy it to a service, following the deployment to its end",
		GroupID: groupDeploy,
		Long: `Register the task definition in TASKDEF.json (the JSON of
'aws ecs register-task-definition --cli-input-json'; a path, file://path, or - for
standard input), update the service to it, and follow the deployment it starts
until it ends: redrawn in place on a terminal, a line per change otherwise.
Approve, reject, end the bake time or roll back from another terminal meanwhile.
Ctrl-C stops following; the deployment goes on.

Exit codes:
  0    the deployment is SUCCESSFUL (or --no-wait)
  1    an error: the task definition or the update was refused, the server is unreachable
  2    usage error
  3    the deployment rolled back (ROLLBACK_SUCCESSFUL)
  4    the deployment failed and so did its rollback (ROLLBACK_FAILED)
  5    the deployment stopped (STOPPED: replaced by a newer one, aborted, or failed without rollback)
  6    --timeout passed first; the deployment goes on
  130  interrupted (Ctrl-C); the deployment goes on

With --output json, the progress goes to standard error and standard output gets one
JSON object at the end: taskDefinitionArn, serviceDeploymentArn, and details (as
'cutover deployments describe --output json' prints them).`,
		Example: `  cutover deploy --cluster demo --service web taskdef.json
  cutover deploy --service web --timeout 30m file://taskdef.json`,
		Args: exactArgs(1, "TASKDEF.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if svc.service == "" {
				return usageErr(errors.New("--service is required"))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.deploy(ctx, &svc, args[0], noWait, timeout)
		},
	}
	svc.add(a, cmd, "service to deploy to (required)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the deployment has started")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "stop following after this long (exit code 6); 0 waits for the end")
	return cmd
}

// deployResult is the output of deploy --output json.
type deployResult struct {
	TaskDefinitionArn    string                        `json:"taskDefinitionArn"`
	ServiceDeploymentArn string                        `json:"serviceDeploymentArn"`
	Details              *cutoverapi.DeploymentDetails `json:"details,omitempty"`
}

func (a *app) deploy(ctx context.Context, svc *serviceFlags, file string, noWait bool, timeout time.Duration) error {
	td, err := readTaskDefinition(file, os.Stdin)
	if err != nil {
		return err
	}
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	before, err := describeService(ctx, c, svc.cluster, svc.service)
	if err != nil {
		return err
	}
	reg, err := c.RegisterTaskDefinition(ctx, td)
	if err != nil {
		return err
	}
	if reg.TaskDefinition == nil {
		return errors.New("RegisterTaskDefinition: the answer has no task definition")
	}
	tdArn := reg.TaskDefinition.TaskDefinitionArn
	progress := a.stdout
	if a.jsonOutput() {
		progress = a.stderr
	}
	fmt.Fprintf(progress, "Registered task definition %s\n", taskDefName(tdArn))
	up, err := c.UpdateService(ctx, &ecs.UpdateServiceRequest{Cluster: svc.cluster, Service: svc.service, TaskDefinition: tdArn})
	if err != nil {
		return err
	}
	arn := up.Service.CurrentServiceDeployment
	if arn == "" || arn == before.CurrentServiceDeployment {
		return fmt.Errorf("service %s/%s started no deployment for %s", svc.cluster, svc.service, taskDefName(tdArn))
	}
	fmt.Fprintf(progress, "Deploying %s to %s/%s: deployment %s\n", taskDefName(tdArn), svc.cluster, svc.service, arn)
	res := deployResult{TaskDefinitionArn: tdArn, ServiceDeploymentArn: arn}
	if noWait {
		if a.jsonOutput() {
			return writeJSON(a.stdout, res)
		}
		fmt.Fprintf(a.stdout, "Follow it with: cutover deployments watch %s\n", arn)
		return nil
	}
	// The progress is for people, even with --output json: the JSON
	// comes at the end.
	res.Details, err = a.followOutcome(ctx, c, arn, a.renderer(progress), timeout)
	if a.jsonOutput() && res.Details != nil {
		if werr := writeJSON(a.stdout, res); werr != nil {
			return werr
		}
	}
	return err
}

// readTaskDefinition reads a RegisterTaskDefinition request from a file
// (a path, file://path, or - for stdin), refusing members it does not
// know as the aws CLI does.
func readTaskDefinition(file string, stdin io.Reader) (*ecs.RegisterTaskDefinitionRequest, error) {
	var b []byte
	var err error
	path := strings.TrimPrefix(file, "file://")
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read the task definition: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	td := new(ecs.RegisterTaskDefinitionRequest)
	if err := dec.Decode(td); err != nil {
		return nil, fmt.Errorf("read the task definition %s: %w", file, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read the task definition %s: more than one JSON document", file)
	}
	return td, nil
}

// exactArgs requires n arguments, named names in the error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr(fmt.Errorf("want %s, got %d arguments", names, len(args)))
		}
		return nil
	}
}

// maxArgs allows at most n arguments.
func maxArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > n {
			return usageErr(fmt.Errorf("want at most %s, got %d arguments", names, len(args)))
		}
		return nil
	}
}

// noArgs refuses arguments.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(fmt.Errorf("unexpected argument %q", args[0]))
	}
	return nil
}
