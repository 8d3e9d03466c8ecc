package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) deploymentsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "deployments",
		Short:   "List, describe and watch a service's deployments",
		GroupID: groupDeploy,
		Args:    cobra.ArbitraryArgs,
		RunE:    noSuchCommand,
	}
	cmd.AddCommand(a.deploymentsListCommand(), a.deploymentsDescribeCommand(), a.deploymentsWatchCommand())
	return cmd
}

func (a *app) deploymentsListCommand() *cobra.Command {
	var svc serviceFlags
	var statuses []string
	var limit int
	cmd := &cobra.Command{
		Use:   "list --service NAME [--cluster NAME]",
		Short: "List a service's deployments, newest first",
		Long: `List a service's deployments, newest first, with the task definition each deploys.
--output json prints ListServiceDeployments' answer: {"serviceDeployments": [...]}.`,
		Example: "  cutover deployments list --cluster demo --service web\n  cutover deployments list --service web --status ROLLBACK_SUCCESSFUL --status STOPPED",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if svc.service == "" {
				return usageErr(errors.New("--service is required"))
			}
			return a.listDeployments(cmd.Context(), &svc, statuses, limit)
		},
	}
	svc.add(a, cmd, "service whose deployments to list (required)")
	cmd.Flags().StringArrayVar(&statuses, "status", nil, "only deployments with this status (repeatable)")
	cmd.Flags().IntVar(&limit, "max", 20, "list at most this many")
	cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(enumStrings(ecs.ServiceDeploymentStatus("").Values()), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func enumStrings[E ~string](vs []E) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func (a *app) listDeployments(ctx context.Context, svc *serviceFlags, statuses []string, limit int) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	req := &ecs.ListServiceDeploymentsRequest{Cluster: svc.cluster, Service: svc.service}
	for _, s := range statuses {
		req.Status = append(req.Status, ecs.ServiceDeploymentStatus(s))
	}
	all := []ecs.ServiceDeploymentBrief{}
	for len(all) < limit {
		req.MaxResults = ecs.Int32(int32(min(limit-len(all), 100)))
		out, err := c.ListServiceDeployments(ctx, req)
		if err != nil {
			return err
		}
		all = append(all, out.ServiceDeployments...)
		if out.NextToken == "" {
			break
		}
		req.NextToken = out.NextToken
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, ecs.ListServiceDeploymentsResponse{ServiceDeployments: all})
	}
	if len(all) == 0 {
		fmt.Fprintf(a.stdout, "Service %s/%s has no deployments.\n", svc.cluster, svc.service)
		return nil
	}
	taskDefs, err := revisionTaskDefs(ctx, c, all)
	if err != nil {
		return err
	}
	t := newTable(a.stdout)
	row(t, "DEPLOYMENT", "STATUS", "TASK DEFINITION", "CREATED", "DURATION", "REASON")
	now := a.now()
	for _, d := range all {
		start := ecs.TimeValue(d.CreatedAt)
		if s := ecs.TimeValue(d.StartedAt); !s.IsZero() {
			start = s
		}
		dur := "-"
		if end := ecs.TimeValue(d.FinishedAt); !end.IsZero() {
			dur = fmtDuration(end.Sub(start))
		} else if _, ended := outcome(d.Status); !ended {
			dur = fmtDuration(now.Sub(start)) + " so far"
		}
		row(t, lastPart(d.ServiceDeploymentArn), string(d.Status), orDash(taskDefs[d.TargetServiceRevisionArn]),
			fmtTime(ecs.TimeValue(d.CreatedAt), a.loc), dur, d.StatusReason)
	}
	return t.Flush()
}

// revisionTaskDefs maps the target revisions of deployments to their
// task definitions' short names.
func revisionTaskDefs(ctx context.Context, c *client.Client, ds []ecs.ServiceDeploymentBrief) (map[string]string, error) {
	names := map[string]string{}
	var arns []string
	for _, d := range ds {
		if _, ok := names[d.TargetServiceRevisionArn]; !ok && d.TargetServiceRevisionArn != "" {
			names[d.TargetServiceRevisionArn] = ""
			arns = append(arns, d.TargetServiceRevisionArn)
		}
	}
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 20)]
		arns = arns[len(batch):]
		out, err := c.DescribeServiceRevisions(ctx, &ecs.DescribeServiceRevisionsRequest{ServiceRevisionArns: batch})
		if err != nil {
			return nil, err
		}
		for _, r := range out.ServiceRevisions {
			names[r.ServiceRevisionArn] = taskDefName(r.TaskDefinition)
		}
	}
	return names, nil
}

func (a *app) deploymentsDescribeCommand() *cobra.Command {
	var f deploymentFlags
	cmd := &cobra.Command{
		Use:   "describe [DEPLOYMENT] [--cluster NAME --service NAME]",
		Short: "Describe a deployment: stages and time in each, traffic, hooks, tasks, audit trail",
		Long: `Describe a service deployment: its status, its stages and the time spent in each,
the revisions with their traffic weights, every hook run (with the countdown of one
awaiting approval, such as "production traffic moves in 4m12s"), the bake time left,
the tasks with their health and load balancer health, and who did what (the audit trail).

DEPLOYMENT is an ARN, or an ID with --service; without it, the service's current
deployment. --output json prints CutoverV1.DescribeServiceDeploymentDetails' details.`,
		Example:           "  cutover deployments describe --cluster demo --service web\n  cutover deployments describe arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/web/AbC123",
		Args:              maxArgs(1, "one DEPLOYMENT"),
		ValidArgsFunction: a.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.fromArgs(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			d, err := a.details(ctx, c, &f)
			if err != nil {
				return err
			}
			if a.jsonOutput() {
				return writeJSON(a.stdout, d)
			}
			renderDescribe(a.stdout, newDeployment(d, a.now(), a.loc))
			return nil
		},
	}
	f.add(a, cmd)
	return cmd
}

// details reads the details of the deployment the flags name.
func (a *app) details(ctx context.Context, c *client.Client, f *deploymentFlags) (*cutoverapi.DeploymentDetails, error) {
	arn, err := f.resolve(ctx, c)
	if err != nil {
		return nil, err
	}
	out, err := c.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
	if err != nil {
		return nil, err
	}
	return &out.Details, nil
}

func (a *app) deploymentsWatchCommand() *cobra.Command {
	var f deploymentFlags
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "watch [DEPLOYMENT] [--cluster NAME --service NAME]",
		Short: "Follow a deployment live until it ends",
		Long: `Follow a deployment until it ends or Ctrl-C: its stage, traffic weights, hooks with
their countdowns, bake time and tasks, redrawn in place on a terminal, a line per
change otherwise. DEPLOYMENT is as for describe. The exit code says how the deployment
ended, as for deploy (0 SUCCESSFUL, 3 rolled back, 4 failed, 5 stopped, 6 --timeout,
130 Ctrl-C). --output json prints the details as one line of JSON each time they
change.`,
		Example:           "  cutover deployments watch --cluster demo --service web",
		Args:              maxArgs(1, "one DEPLOYMENT"),
		ValidArgsFunction: a.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.fromArgs(args); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c, arn, err := a.deploymentClient(ctx, &f)
			if err != nil {
				return err
			}
			var r followRenderer = &jsonRenderer{w: a.stdout}
			if !a.jsonOutput() {
				r = a.renderer(a.stdout)
			}
			_, err = a.followOutcome(ctx, c, arn, r, timeout)
			return err
		},
	}
	f.add(a, cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "stop after this long (exit code 6); 0 waits for the end")
	return cmd
}
