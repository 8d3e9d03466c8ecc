package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) rollbackCommand() *cobra.Command {
	var f deploymentFlags
	cmd := &cobra.Command{
		Use:   "rollback [DEPLOYMENT] [--cluster NAME --service NAME]",
		Short: "Roll back an ongoing deployment",
		Long: `Roll back an ongoing deployment (StopServiceDeployment ROLLBACK): the service returns
to the revision it ran before; during a blue/green bake time, production traffic moves
back at once. The deployment is DEPLOYMENT or --deployment (an ARN, or an ID with
--service), or the current deployment of --cluster/--service. Follow the rollback with
'cutover deployments watch'.`,
		Example:           "  cutover rollback --cluster demo --service web",
		GroupID:           groupDeploy,
		Args:              maxArgs(1, "one DEPLOYMENT"),
		ValidArgsFunction: a.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.fromArgs(args); err != nil {
				return err
			}
			return a.rollback(cmd.Context(), &f)
		},
	}
	f.add(a, cmd)
	return cmd
}

func (a *app) rollback(ctx context.Context, f *deploymentFlags) error {
	c, arn, err := a.deploymentClient(ctx, f)
	if err != nil {
		return err
	}
	out, err := c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentRequest{ServiceDeploymentArn: arn, StopType: ecs.StopServiceDeploymentStopTypeRollback})
	if err != nil {
		return err
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, out)
	}
	fmt.Fprintf(a.stdout, "Rollback of deployment %s requested. Follow it with: cutover deployments watch %s\n", lastPart(arn), arn)
	return nil
}
