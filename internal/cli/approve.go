package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) approveCommand() *cobra.Command {
	return a.hookActionCommand("approve", ecs.DeploymentLifecycleHookActionContinue,
		"Approve the pause hook a deployment awaits: it continues",
		"  cutover approve --cluster demo --service web\n  cutover approve --deployment ARN --hook-id ecs-pause-...")
}

func (a *app) rejectCommand() *cobra.Command {
	return a.hookActionCommand("reject", ecs.DeploymentLifecycleHookActionRollback,
		"Reject the pause hook a deployment awaits: it rolls back",
		"  cutover reject --cluster demo --service web")
}

// hookActionCommand is approve or reject: ContinueServiceDeployment with
// action on the pause hook the deployment awaits.
func (a *app) hookActionCommand(name string, action ecs.DeploymentLifecycleHookAction, short, example string) *cobra.Command {
	var f deploymentFlags
	var hookID string
	cmd := &cobra.Command{
		Use:   name + " [DEPLOYMENT] [--cluster NAME --service NAME] [--hook-id ID]",
		Short: short,
		Long: short + ` (ContinueServiceDeployment ` + string(action) + `).

The deployment is DEPLOYMENT or --deployment (an ARN, or an ID with --service), or
the current deployment of --cluster/--service. When exactly one pause hook awaits
action, it is the one; when several do, name one with --hook-id. The action is
recorded in the audit trail under the access key that signs the request.`,
		Example:           example,
		GroupID:           groupDeploy,
		Args:              maxArgs(1, "one DEPLOYMENT"),
		ValidArgsFunction: a.completeDeploymentArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.fromArgs(args); err != nil {
				return err
			}
			return a.hookAction(cmd.Context(), &f, hookID, action)
		},
	}
	f.add(a, cmd)
	cmd.Flags().StringVar(&hookID, "hook-id", "", "the awaiting hook to act on, when several await")
	cmd.RegisterFlagCompletionFunc("hook-id", a.completeAwaitingHooks(&f))
	return cmd
}

// hookActionResult is the output of approve and reject with --output
// json.
type hookActionResult struct {
	ServiceDeploymentArn string                            `json:"serviceDeploymentArn"`
	HookID               string                            `json:"hookId"`
	LifecycleStage       ecs.DeploymentLifecycleHookStage  `json:"lifecycleStage"`
	Action               ecs.DeploymentLifecycleHookAction `json:"action"`
}

func (a *app) hookAction(ctx context.Context, f *deploymentFlags, hookID string, action ecs.DeploymentLifecycleHookAction) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	d, err := a.details(ctx, c, f)
	if err != nil {
		return err
	}
	arn := d.ServiceDeployment.ServiceDeploymentArn
	h, err := pickHook(d, hookID)
	if err != nil {
		return err
	}
	_, err = c.ContinueServiceDeployment(ctx, &ecs.ContinueServiceDeploymentRequest{ServiceDeploymentArn: arn, HookId: h.HookID, Action: action})
	if err != nil {
		return err
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, hookActionResult{ServiceDeploymentArn: arn, HookID: h.HookID, LifecycleStage: h.Stage, Action: action})
	}
	verb, then := "Approved", "the deployment continues"
	if action == ecs.DeploymentLifecycleHookActionRollback {
		verb, then = "Rejected", "the deployment rolls back"
	}
	fmt.Fprintf(a.stdout, "%s %s (hook %s) of deployment %s: %s.\n", verb, hookLabel(h), h.HookID, lastPart(arn), then)
	return nil
}

// pickHook returns the pause hook of d to act on: the one named hookID,
// or the only one awaiting action.
func pickHook(d *cutoverapi.DeploymentDetails, hookID string) (*cutoverapi.Hook, error) {
	var waiting []*cutoverapi.Hook
	for i := range d.Hooks {
		h := &d.Hooks[i]
		if hookID != "" && h.HookID == hookID {
			if !awaiting(h) {
				return nil, fmt.Errorf("hook %s of deployment %s is %s, not awaiting action", hookID, lastPart(d.ServiceDeployment.ServiceDeploymentArn), h.Status)
			}
			return h, nil
		}
		if awaiting(h) {
			waiting = append(waiting, h)
		}
	}
	sd := &d.ServiceDeployment
	id := lastPart(sd.ServiceDeploymentArn)
	switch {
	case hookID != "":
		return nil, fmt.Errorf("deployment %s has no hook %s", id, hookID)
	case len(waiting) == 1:
		return waiting[0], nil
	case len(waiting) == 0:
		state := string(sd.Status)
		if sd.LifecycleStage != "" {
			state += " at " + string(sd.LifecycleStage)
		}
		return nil, fmt.Errorf("no hook of deployment %s awaits action (it is %s)", id, state)
	}
	var names []string
	for _, h := range waiting {
		names = append(names, h.HookID+" ("+hookLabel(h)+")")
	}
	return nil, usageErr(fmt.Errorf("%d hooks of deployment %s await action; choose one with --hook-id: %s", len(waiting), id, strings.Join(names, ", ")))
}
