package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// detailTypeNames are the short names --detail-type takes.
var detailTypeNames = map[string]string{
	"deployment": client.DetailDeploymentStateChange,
	"hook":       client.DetailHookStateChange,
	"task":       client.DetailTaskStateChange,
	"service":    client.DetailServiceAction,
	"audit":      client.DetailAuditRecord,
}

// detailTypeKinds maps a detail type to its short name.
var detailTypeKinds = func() map[string]string {
	m := map[string]string{}
	for k, v := range detailTypeNames {
		m[v] = k
	}
	return m
}()

func (a *app) eventsCommand() *cobra.Command {
	var svc serviceFlags
	var types []string
	var after string
	var follow bool
	cmd := &cobra.Command{
		Use:   "events [-f] [--cluster NAME --service NAME] [--detail-type TYPE]...",
		Short: "Print the event log, one line per event; -f to follow it",
		Long: `Print the events the server keeps (deployment, hook, task and service state
changes, and the audit trail: who did what), one line per event, oldest first; with
-f, go on printing new events as they come, until Ctrl-C (a lost connection is
resumed after the last event printed).

--service (with --cluster) keeps the events of a service, its deployments and its
tasks. --detail-type keeps one kind of event: deployment, hook, task, service, audit,
or a full detail type such as "ECS Hook State Change"; repeat it for several.
--after N starts after the event numbered N (the #N of each line), --after now with
the events to come.

--output json prints one JSON object per line: {"seq": N, "event": {EventBridge
envelope}}.`,
		Example: "  cutover events --cluster demo --service web\n  cutover events -f --detail-type hook --detail-type audit",
		GroupID: groupDeploy,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := client.EventQuery{FromStart: true}
			if after == "now" {
				q.FromStart = false
			} else if after != "" {
				n, err := strconv.ParseUint(after, 10, 64)
				if err != nil {
					return usageErr(fmt.Errorf("--after must be an event number or now, not %q", after))
				}
				q.After = n
			}
			for _, t := range types {
				full, ok := detailTypeNames[t]
				if !ok && detailTypeKinds[t] == "" {
					return usageErr(fmt.Errorf("unknown --detail-type %q: deployment, hook, task, service or audit", t))
				}
				if !ok {
					full = t
				}
				q.DetailTypes = append(q.DetailTypes, full)
			}
			if !follow && !q.FromStart {
				return usageErr(errors.New("--after now needs -f"))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := a.events(ctx, &svc, q, follow, cmd.Flags().Changed("service"))
			if follow && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C is how a follow ends
			}
			return err
		},
	}
	svc.add(a, cmd, "only the events of this service, its deployments and tasks")
	cmd.Flags().StringArrayVar(&types, "detail-type", nil, "only events of this kind: deployment, hook, task, service, audit (repeatable)")
	cmd.Flags().StringVar(&after, "after", "", "start after event number N, or now (with -f)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "go on printing events as they come")
	cmd.RegisterFlagCompletionFunc("detail-type", cobra.FixedCompletions([]string{"deployment", "hook", "task", "service", "audit"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) events(ctx context.Context, svc *serviceFlags, q client.EventQuery, follow, byService bool) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	if byService {
		s, err := describeService(ctx, c, svc.cluster, svc.service)
		if err != nil {
			return err
		}
		q.Resource = s.ServiceArn
	}
	q.Backlog = !follow
	if follow {
		q.OnReconnect = func(err error) {
			fmt.Fprintf(a.stderr, "cutover events: %v; reconnecting\n", err)
		}
	}
	s := c.Events(ctx, q)
	defer s.Close()
	for {
		ev, err := s.Next(ctx)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
		if a.jsonOutput() {
			b, err := jsonLine(struct {
				Seq   uint64          `json:"seq"`
				Event json.RawMessage `json:"event"`
			}{ev.Seq, ev.Raw})
			if err != nil {
				return fmt.Errorf("encode event %d: %w", ev.Seq, err)
			}
			if _, err := a.stdout.Write(b); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintln(a.stdout, eventLine(&ev, a.loc)); err != nil {
			return err
		}
	}
}

// eventDetail holds the members of the events' details that eventLine
// shows; each detail type fills some of them.
type eventDetail struct {
	EventName            string `json:"eventName"`
	Status               string `json:"status"`
	Reason               string `json:"reason"`
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	ServiceArn           string `json:"serviceArn"`
	ClusterArn           string `json:"clusterArn"`
	// Hooks.
	HookID         string `json:"hookId"`
	HookType       string `json:"hookType"`
	HookTargetArn  string `json:"hookTargetArn"`
	LifecycleStage string `json:"lifecycleStage"`
	// Tasks.
	TaskArn           string `json:"taskArn"`
	Group             string `json:"group"`
	LastStatus        string `json:"lastStatus"`
	DesiredStatus     string `json:"desiredStatus"`
	HealthStatus      string `json:"healthStatus"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	StoppedReason     string `json:"stoppedReason"`
}

// eventLine renders an event on one line: when, its number, the service,
// its kind and what happened.
func eventLine(ev *client.Event, loc *time.Location) string {
	e := &ev.Envelope
	var d eventDetail
	json.Unmarshal(e.Detail, &d) // a detail it cannot read shows as its kind alone
	svc := d.ServiceArn
	if svc == "" && len(e.Resources) > 0 && strings.Contains(e.Resources[0], ":service/") {
		svc = e.Resources[0]
	}
	who := serviceName(svc)
	if g, ok := strings.CutPrefix(d.Group, "service:"); ok {
		who = clusterName(d.ClusterArn) + "/" + g
	}
	kind := detailTypeKinds[e.DetailType]
	if kind == "" {
		kind = e.DetailType
	}
	var what string
	switch e.DetailType {
	case client.DetailDeploymentStateChange:
		what = d.EventName + "  " + lastPart(d.ServiceDeploymentArn)
		if d.Reason != "" {
			what += ": " + d.Reason
		}
	case client.DetailHookStateChange:
		h := cutoverapi.Hook{TargetType: ecs.DeploymentLifecycleHookTargetType(d.HookType), TargetArn: d.HookTargetArn,
			Stage: ecs.DeploymentLifecycleHookStage(d.LifecycleStage)}
		what = fmt.Sprintf("%s  %s %s of deployment %s", d.EventName, hookLabel(&h), d.HookID, lastPart(d.ServiceDeploymentArn))
		if d.Reason != "" {
			what += ": " + d.Reason
		}
	case client.DetailTaskStateChange:
		what = taskStatus(&cutoverapi.Task{LastStatus: d.LastStatus, DesiredStatus: d.DesiredStatus}) + "  task " + lastPart(d.TaskArn) + " " + taskDefName(d.TaskDefinitionArn)
		if d.StoppedReason != "" {
			what += ": " + d.StoppedReason
		}
	case client.DetailAuditRecord:
		var r cutoverapi.AuditRecord
		json.Unmarshal(e.Detail, &r)
		what = r.Action + " by " + r.Actor.String()
		if r.ServiceDeploymentArn != "" {
			what += " on deployment " + lastPart(r.ServiceDeploymentArn)
		}
		if r.HookID != "" {
			what += " hook " + r.HookID
		}
		if r.Detail != "" {
			what += ": " + r.Detail
		}
	default:
		what = d.EventName
	}
	return fmt.Sprintf("%s  #%-5d %-10s %-11s %s", fmtTime(e.Time, loc), ev.Seq, orDash(who), kind, what)
}
