package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print the shell completion script",
		Long: `Print the completion script of a shell. It completes commands and flags, and asks the
server for cluster names, service names, deployments, awaiting hooks and tasks.

  bash (needs the bash-completion package):
    source <(cutover completion bash)                                 # this shell
    cutover completion bash > /etc/bash_completion.d/cutover          # every shell
  zsh:
    source <(cutover completion zsh)                                  # this shell
    cutover completion zsh > "${fpath[1]}/_cutover"                   # every shell (compinit on)
  fish:
    cutover completion fish | source                                  # this shell
    cutover completion fish > ~/.config/fish/completions/cutover.fish # every shell`,
		GroupID:               groupRun,
		ValidArgs:             []string{"bash", "zsh", "fish"},
		DisableFlagsInUseLine: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr(fmt.Errorf("want one shell: bash, zsh or fish"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			}
			return usageErr(fmt.Errorf("unknown shell %q: bash, zsh or fish", args[0]))
		},
	}
}

// completing returns a client and a short context to ask the server
// for completions, or false when it cannot be had.
func (a *app) completing(cmd *cobra.Command) (context.Context, context.CancelFunc, *client.Client, bool) {
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	c, err := a.client(ctx)
	if err != nil {
		cancel()
		return nil, nil, nil, false
	}
	return ctx, cancel, c, true
}

func (a *app) completeClusters(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel, c, ok := a.completing(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := c.ListClusters(ctx, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, arn := range out.ClusterArns {
		names = append(names, clusterName(arn))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// flagValue returns the value of a flag of cmd, or "".
func flagValue(cmd *cobra.Command, name string) string {
	v, _ := cmd.Flags().GetString(name)
	return v
}

func (a *app) completeServices(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel, c, ok := a.completing(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := c.ListServices(ctx, &ecs.ListServicesRequest{Cluster: flagValue(cmd, "cluster")})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, arn := range out.ServiceArns {
		names = append(names, lastPart(arn))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeDeployments completes the deployment IDs of --cluster/--service,
// with their status.
func (a *app) completeDeployments(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	service := flagValue(cmd, "service")
	if service == "" {
		return cobra.AppendActiveHelp(nil, "give --service first, or an ARN"), cobra.ShellCompDirectiveNoFileComp
	}
	ctx, cancel, c, ok := a.completing(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := c.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsRequest{Cluster: flagValue(cmd, "cluster"), Service: service})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var ids []cobra.Completion
	for _, d := range out.ServiceDeployments {
		ids = append(ids, cobra.CompletionWithDesc(lastPart(d.ServiceDeploymentArn), string(d.Status)))
	}
	return ids, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeDeploymentArg completes a DEPLOYMENT argument.
func (a *app) completeDeploymentArg(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 || flagValue(cmd, "deployment") != "" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.completeDeployments(cmd, args, toComplete)
}

// completeAwaitingHooks completes --hook-id with the hooks the deployment
// the flags name awaits.
func (a *app) completeAwaitingHooks(f *deploymentFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if f.fromArgs(args) != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel, c, ok := a.completing(cmd)
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer cancel()
		arn, err := f.resolve(ctx, c)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out, err := c.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var ids []cobra.Completion
		for i := range out.Details.Hooks {
			if h := &out.Details.Hooks[i]; awaiting(h) {
				ids = append(ids, cobra.CompletionWithDesc(h.HookID, hookLabel(h)))
			}
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTasks completes the task IDs of a cluster.
func (a *app) completeTasks(cmd *cobra.Command, cluster string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel, c, ok := a.completing(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := c.ListTasks(ctx, &ecs.ListTasksRequest{Cluster: cluster})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var ids []cobra.Completion
	for _, arn := range out.TaskArns {
		ids = append(ids, lastPart(arn))
	}
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// completeContainers completes the container names of a task.
func (a *app) completeContainers(cmd *cobra.Command, cluster, task string) ([]cobra.Completion, cobra.ShellCompDirective) {
	ctx, cancel, c, ok := a.completing(cmd)
	if !ok {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer cancel()
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksRequest{Cluster: cluster, Tasks: []string{lastPart(task)}})
	if err != nil || len(out.Tasks) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, ct := range out.Tasks[0].Containers {
		names = append(names, ct.Name)
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
