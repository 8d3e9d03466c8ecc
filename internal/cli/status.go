package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// statusEvents is how many of a service's events status shows.
const statusEvents = 5

func (a *app) statusCommand() *cobra.Command {
	var clusterSet bool
	var svc serviceFlags
	cmd := &cobra.Command{
		Use:   "status [--cluster NAME] [--service NAME]",
		Short: "Show clusters and services, or one service with its current deployment",
		Long: `Without --service: every cluster (or --cluster) with its services, their tasks and
their current deployment. With --service: the service, its current deployment (stage,
traffic, hooks awaiting approval with their countdowns, bake time left, tasks) and its
latest events.

--output json prints {"clusters": [...], "services": [...]} (DescribeClusters' and
DescribeServices' shapes), or {"service": {...}, "currentDeployment": {...}} (the
latter as 'cutover deployments describe --output json' prints it).`,
		Example: "  cutover status\n  cutover status --cluster demo --service web",
		GroupID: groupDeploy,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clusterSet = cmd.Flags().Changed("cluster")
			ctx := cmd.Context()
			c, err := a.client(ctx)
			if err != nil {
				return err
			}
			if svc.service != "" {
				return a.serviceStatus(ctx, c, &svc)
			}
			var clusters []string
			if clusterSet {
				clusters = []string{svc.cluster}
			}
			return a.overview(ctx, c, clusters)
		},
	}
	svc.add(a, cmd, "show this service in detail")
	return cmd
}

// overviewResult is the output of status --output json without
// --service.
type overviewResult struct {
	Clusters []ecs.Cluster `json:"clusters"`
	Services []ecs.Service `json:"services"`
}

// overview shows clusters (all when clusters is empty) and their
// services.
func (a *app) overview(ctx context.Context, c *client.Client, clusters []string) error {
	if len(clusters) == 0 {
		req := &ecs.ListClustersRequest{}
		for {
			out, err := c.ListClusters(ctx, req)
			if err != nil {
				return err
			}
			clusters = append(clusters, out.ClusterArns...)
			if req.NextToken = out.NextToken; req.NextToken == "" {
				break
			}
		}
	}
	res := overviewResult{Clusters: []ecs.Cluster{}, Services: []ecs.Service{}}
	for len(clusters) > 0 {
		batch := clusters[:min(len(clusters), 100)]
		clusters = clusters[len(batch):]
		out, err := c.DescribeClusters(ctx, &ecs.DescribeClustersRequest{Clusters: batch})
		if err != nil {
			return err
		}
		if len(out.Failures) > 0 {
			return fmt.Errorf("cluster %s: %s", clusterName(out.Failures[0].Arn), out.Failures[0].Reason)
		}
		res.Clusters = append(res.Clusters, out.Clusters...)
	}
	slices.SortFunc(res.Clusters, func(x, y ecs.Cluster) int { return strings.Compare(x.ClusterName, y.ClusterName) })
	for _, cl := range res.Clusters {
		svcs, err := clusterServices(ctx, c, cl.ClusterArn)
		if err != nil {
			return err
		}
		res.Services = append(res.Services, svcs...)
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, res)
	}
	current, err := currentDeployments(ctx, c, res.Services)
	if err != nil {
		return err
	}
	renderOverview(a.stdout, res, current)
	return nil
}

// clusterServices describes every service of a cluster, by name.
func clusterServices(ctx context.Context, c *client.Client, cluster string) ([]ecs.Service, error) {
	var arns []string
	req := &ecs.ListServicesRequest{Cluster: cluster}
	for {
		out, err := c.ListServices(ctx, req)
		if err != nil {
			return nil, err
		}
		arns = append(arns, out.ServiceArns...)
		if req.NextToken = out.NextToken; req.NextToken == "" {
			break
		}
	}
	var svcs []ecs.Service
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 10)]
		arns = arns[len(batch):]
		out, err := c.DescribeServices(ctx, &ecs.DescribeServicesRequest{Cluster: cluster, Services: batch})
		if err != nil {
			return nil, err
		}
		svcs = append(svcs, out.Services...)
	}
	slices.SortFunc(svcs, func(x, y ecs.Service) int { return strings.Compare(x.ServiceName, y.ServiceName) })
	return svcs, nil
}

// currentDeployments describes the current deployment of each service,
// by ARN.
func currentDeployments(ctx context.Context, c *client.Client, svcs []ecs.Service) (map[string]ecs.ServiceDeployment, error) {
	var arns []string
	for _, s := range svcs {
		if s.CurrentServiceDeployment != "" {
			arns = append(arns, s.CurrentServiceDeployment)
		}
	}
	out := map[string]ecs.ServiceDeployment{}
	for len(arns) > 0 {
		batch := arns[:min(len(arns), 20)]
		arns = arns[len(batch):]
		ds, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsRequest{ServiceDeploymentArns: batch})
		if err != nil {
			return nil, err
		}
		for _, d := range ds.ServiceDeployments {
			out[d.ServiceDeploymentArn] = d
		}
	}
	return out, nil
}

func renderOverview(w io.Writer, res overviewResult, current map[string]ecs.ServiceDeployment) {
	if len(res.Clusters) == 0 {
		fmt.Fprintln(w, "No clusters.")
		return
	}
	t := newTable(w)
	row(t, "CLUSTER", "STATUS", "SERVICES", "RUNNING", "PENDING")
	for _, cl := range res.Clusters {
		row(t, cl.ClusterName, cl.Status, fmt.Sprint(ecs.Int32Value(cl.ActiveServicesCount)),
			fmt.Sprint(ecs.Int32Value(cl.RunningTasksCount)), fmt.Sprint(ecs.Int32Value(cl.PendingTasksCount)))
	}
	t.Flush()
	if len(res.Services) == 0 {
		fmt.Fprintln(w, "\nNo services.")
		return
	}
	fmt.Fprintln(w)
	t = newTable(w)
	row(t, "SERVICE", "STATUS", "TASK DEFINITION", "TASKS", "DEPLOYMENT")
	for _, s := range res.Services {
		dep := "-"
		if d, ok := current[s.CurrentServiceDeployment]; ok {
			dep = deploymentBrief(&d)
		}
		row(t, serviceName(s.ServiceArn), s.Status, taskDefName(s.TaskDefinition), taskCounts(&s), dep)
	}
	t.Flush()
}

// taskCounts is "2/2" running of desired, with the pending ones.
func taskCounts(s *ecs.Service) string {
	out := fmt.Sprintf("%d/%d", ecs.Int32Value(s.RunningCount), ecs.Int32Value(s.DesiredCount))
	if p := ecs.Int32Value(s.PendingCount); p > 0 {
		out += fmt.Sprintf(" (+%d pending)", p)
	}
	return out
}

// deploymentBrief is a deployment's state in a few words: "IN_PROGRESS
// at POST_TEST_TRAFFIC_SHIFT, awaiting approval".
func deploymentBrief(d *ecs.ServiceDeployment) string {
	if _, ended := outcome(d.Status); ended || d.LifecycleStage == "" {
		return string(d.Status)
	}
	s := string(d.Status) + " at " + string(d.LifecycleStage)
	for _, h := range d.LifecycleHookDetails {
		if h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction {
			return s + ", awaiting approval"
		}
	}
	return s
}

// serviceResult is the output of status --service --output json.
type serviceResult struct {
	Service           *ecs.Service                  `json:"service"`
	CurrentDeployment *cutoverapi.DeploymentDetails `json:"currentDeployment"`
}

func (a *app) serviceStatus(ctx context.Context, c *client.Client, f *serviceFlags) error {
	svc, err := describeService(ctx, c, f.cluster, f.service)
	if err != nil {
		return err
	}
	res := serviceResult{Service: svc}
	if svc.CurrentServiceDeployment != "" {
		out, err := c.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: svc.CurrentServiceDeployment})
		if err != nil {
			return err
		}
		res.CurrentDeployment = &out.Details
	}
	if a.jsonOutput() {
		return writeJSON(a.stdout, res)
	}
	w := a.stdout
	t := newTable(w)
	row(t, "Service", serviceName(svc.ServiceArn)+" ("+svc.Status+")")
	row(t, "Task definition", taskDefName(svc.TaskDefinition))
	row(t, "Tasks", fmt.Sprintf("%d running, %d pending, %d desired", ecs.Int32Value(svc.RunningCount), ecs.Int32Value(svc.PendingCount), ecs.Int32Value(svc.DesiredCount)))
	row(t, "Strategy", strategy(svc.DeploymentConfiguration))
	for _, h := range hookConfigs(svc.DeploymentConfiguration) {
		row(t, "Hook", h)
	}
	row(t, "Created", fmtTime(ecs.TimeValue(svc.CreatedAt), a.loc))
	t.Flush()
	if d := res.CurrentDeployment; d != nil {
		fmt.Fprintln(w)
		for _, l := range summaryLines(newDeployment(d, a.now(), a.loc)) {
			fmt.Fprintln(w, l)
		}
	}
	if len(svc.Events) > 0 {
		fmt.Fprintln(w, "\nLatest events")
		for _, e := range svc.Events[:min(len(svc.Events), statusEvents)] {
			fmt.Fprintf(w, "  %s  %s\n", fmtTime(ecs.TimeValue(e.CreatedAt), a.loc), e.Message)
		}
	}
	return nil
}

// hookConfigs describes the lifecycle hooks a service is configured with.
func hookConfigs(c *ecs.DeploymentConfiguration) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, h := range c.LifecycleHooks {
		var stages []string
		for _, s := range h.LifecycleStages {
			stages = append(stages, string(s))
		}
		s := string(cmp.Or(h.TargetType, ecs.DeploymentLifecycleHookTargetTypeAwsLambda)) + " at " + strings.Join(stages, ", ")
		if h.HookTargetArn != "" {
			s += " → " + lastPart(strings.ReplaceAll(h.HookTargetArn, ":", "/"))
		}
		if tc := h.TimeoutConfiguration; tc != nil {
			s += fmt.Sprintf(", times out after %d min (then %s)", ecs.Int32Value(tc.TimeoutInMinutes), cmp.Or(tc.Action, ecs.DeploymentLifecycleHookActionRollback))
		}
		out = append(out, s)
	}
	return out
}

// summaryLines sums up a deployment in a few lines: its state, traffic,
// the hooks it awaits, its bake time, its tasks, what can be done.
func summaryLines(d *deployment) []string {
	lines := []string{fmt.Sprintf("Current deployment %s  %s  (%s)", lastPart(d.sd().ServiceDeploymentArn), d.state(), fmtDuration(d.elapsed()))}
	add := func(label, text string) { lines = append(lines, fmt.Sprintf("  %-9s %s", label, text)) }
	if r := d.sd().StatusReason; r != "" {
		add("reason", r)
	}
	if d.shiftsTraffic() {
		add("traffic", d.trafficLine())
	}
	for i := range d.Hooks {
		if h := &d.Hooks[i]; h.Current {
			text := fmt.Sprintf("%s  %s", hookLabel(h), h.Status)
			if note := d.hookNote(h); note != "" {
				text += "  " + note
			}
			add("hook", text)
		}
	}
	if note := d.bakeNote(); note != "" {
		add("bake", note)
	}
	add("tasks", d.taskSummary())
	for _, h := range d.actionHints() {
		lines = append(lines, "  "+h)
	}
	return lines
}
