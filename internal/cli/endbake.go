package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) endBakeCommand() *cobra.Command {
	var f deploymentFlags
	cmd := &cobra.Command{
		Use:   "end-bake [DEPLOYMENT] [--cluster NAME --service NAME]",
		Short: "End a deployment's bake time now (or skip it when it comes)",
		Long: `End the bake time of a blue/green, linear or canary deployment now: the previous
revision is cleaned up at once and the deployment completes. Before the deployment
reaches its bake time, the bake time is skipped when it comes.
(CutoverV1.EndServiceDeploymentBakeTime; ECS has no such operation.)`,
		Example:           "  cutover end-bake --cluster demo --service web",
		GroupID:           groupDeploy,
		Args:              maxArgs(1, "one DEPLOYMENT"),
		ValidArgsFunction: a.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.fromArgs(args); err != nil {
				return err
			}
			return a.endBake(cmd.Context(), &f)
		},
	}
	f.add(a, cmd)
	return cmd
}

func (a *app) endBake(ctx context.Context, f *deploymentFlags) error {
	c, arn, err := a.deploymentClient(ctx, f)
	if err != nil {
		return err
	}
	ds, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsRequest{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return err
	}
	out, err := c.EndServiceDeploymentBakeTime(ctx, &cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: arn})
	if err != nil {
		return err
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, out)
	}
	if len(ds.ServiceDeployments) == 1 && ds.ServiceDeployments[0].LifecycleStage != ecs.ServiceDeploymentLifecycleStageBakeTime {
		fmt.Fprintf(a.stdout, "Deployment %s will skip its bake time.\n", lastPart(arn))
		return nil
	}
	fmt.Fprintf(a.stdout, "Ended the bake time of deployment %s: the previous revision is being cleaned up.\n", lastPart(arn))
	return nil
}
