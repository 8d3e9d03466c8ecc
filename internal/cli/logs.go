package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/ecs"
)

// followLogWindow is how much of the end of a log each read of
// `cutover logs -f` fetches to find what is new: more than that written
// between two reads (a second apart) is skipped, and said so.
const followLogWindow = 256 << 10

func (a *app) logsCommand() *cobra.Command {
	var cluster, container string
	var n int64
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs TASK [--container NAME] [-f]",
		Short: "Print the output of a task's container",
		Long: `Print the end of the output of a task's container, read from the server like any
client would. TASK is a task ID or ARN. --container may be left out when the task has
one container. With -f, keep printing what the container writes until the task stops
or Ctrl-C.`,
		Example: "  cutover logs --cluster demo 3f2a9c... --container web\n  cutover logs -f --cluster demo 3f2a9c...",
		GroupID: groupDeploy,
		Args:    exactArgs(1, "one TASK"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return a.completeTasks(cmd, cluster)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := a.logs(ctx, cluster, args[0], container, n, follow)
			if follow && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C is how a follow ends
			}
			return err
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "default", "cluster of the task")
	cmd.Flags().StringVar(&container, "container", "", "container name (may be left out when the task has one)")
	cmd.Flags().Int64Var(&n, "bytes", 64<<10, "how many bytes of the end of the log to print")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing the output as it comes, until the task stops")
	cmd.RegisterFlagCompletionFunc("cluster", a.completeClusters)
	cmd.RegisterFlagCompletionFunc("container", func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.completeContainers(cmd, cluster, args[0])
	})
	return cmd
}

func (a *app) logs(ctx context.Context, cluster, task, container string, n int64, follow bool) error {
	if n < 0 {
		return usageErr(errors.New("--bytes must not be negative"))
	}
	task = lastPart(task)
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	if container == "" {
		if container, err = onlyContainer(ctx, c, cluster, task); err != nil {
			return err
		}
	}
	window := n
	if follow {
		window = max(n, followLogWindow)
	}
	prev, err := c.Logs(ctx, cluster, task, container, window)
	if err != nil {
		return err
	}
	if _, err := a.stdout.Write(prev[max(int64(len(prev))-n, 0):]); err != nil || !follow {
		return err
	}
	return a.followLogs(ctx, c, cluster, task, container, prev, window)
}

// followLogs prints what the container writes after prev, until the task
// has stopped and its last output is printed.
func (a *app) followLogs(ctx context.Context, c *client.Client, cluster, task, container string, prev []byte, window int64) error {
	ticker := time.NewTicker(a.interval)
	defer ticker.Stop()
	var failingSince time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
		// Whether the task has stopped is asked first: the read after it
		// then has all the task wrote.
		stopped, reason, err := taskStopped(ctx, c, cluster, task)
		var cur []byte
		if err == nil {
			cur, err = c.Logs(ctx, cluster, task, container, window)
		}
		var ae *client.APIError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			// The task stopped since it was asked, and was cleaned up
			// with its logs.
			if stopped, reason, serr := taskStopped(ctx, c, cluster, task); serr == nil && stopped {
				fmt.Fprintf(a.stderr, "cutover logs: task %s stopped: %s; its logs are gone\n", task, orDash(reason))
				return nil
			}
			return err
		case errors.As(err, &ae) && ae.Status < 500:
			return err
		case err != nil:
			if failingSince.IsZero() {
				failingSince = a.now()
			} else if a.now().Sub(failingSince) > followUnreachable {
				return err
			}
			continue
		}
		failingSince = time.Time{}
		delta, ok := client.LogDelta(prev, cur, window)
		if !ok {
			fmt.Fprintf(a.stderr, "cutover logs: more than %d KiB was written between two reads, or the log was replaced: some output is skipped\n", window>>10)
		}
		if _, err := a.stdout.Write(delta); err != nil {
			return err
		}
		prev = cur
		if stopped {
			fmt.Fprintf(a.stderr, "cutover logs: task %s stopped: %s\n", task, orDash(reason))
			return nil
		}
	}
}

// taskStopped reports whether a task has stopped, and why.
func taskStopped(ctx context.Context, c *client.Client, cluster, task string) (bool, string, error) {
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksRequest{Cluster: cluster, Tasks: []string{task}})
	if err != nil {
		return false, "", err
	}
	if len(out.Tasks) == 0 {
		return true, "the task is gone", nil
	}
	t := out.Tasks[0]
	return t.LastStatus == "STOPPED", t.StoppedReason, nil
}

// onlyContainer returns the name of the task's container, when it has one.
func onlyContainer(ctx context.Context, c *client.Client, cluster, task string) (string, error) {
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksRequest{Cluster: cluster, Tasks: []string{task}})
	if err != nil {
		return "", err
	}
	if len(out.Tasks) == 0 {
		return "", fmt.Errorf("task %s of cluster %s not found", task, cluster)
	}
	var names []string
	for _, ct := range out.Tasks[0].Containers {
		names = append(names, ct.Name)
	}
	if len(names) != 1 {
		return "", usageErr(fmt.Errorf("task %s has containers %s: choose one with --container", task, strings.Join(names, ", ")))
	}
	return names[0], nil
}
