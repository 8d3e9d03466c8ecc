package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/ecs"
)

// deploymentFlags name one service deployment: --deployment (an ARN, or
// an ID with --cluster and --service) or a DEPLOYMENT argument, or the
// current deployment of --cluster/--service.
type deploymentFlags struct {
	serviceFlags
	deployment string
}

// add adds the flags to cmd.
func (f *deploymentFlags) add(a *app, cmd *cobra.Command) {
	f.serviceFlags.add(a, cmd, "service whose current deployment is meant, when no deployment is named")
	cmd.Flags().StringVar(&f.deployment, "deployment", "", "service deployment ARN, or its ID with --cluster and --service")
	cmd.RegisterFlagCompletionFunc("deployment", a.completeDeployments)
}

// fromArgs takes the DEPLOYMENT argument, if any, in place of
// --deployment.
func (f *deploymentFlags) fromArgs(args []string) error {
	if len(args) == 0 {
		return nil
	}
	if f.deployment != "" {
		return usageErr(errors.New("name the deployment once: as an argument or with --deployment"))
	}
	f.deployment = args[0]
	return nil
}

// deploymentClient returns a client and the ARN of the deployment the
// flags name.
func (a *app) deploymentClient(ctx context.Context, f *deploymentFlags) (*client.Client, string, error) {
	c, err := a.client(ctx)
	if err != nil {
		return nil, "", err
	}
	arn, err := f.resolve(ctx, c)
	return c, arn, err
}

// resolve returns the ARN of the deployment the flags name.
func (f *deploymentFlags) resolve(ctx context.Context, c *client.Client) (string, error) {
	if strings.HasPrefix(f.deployment, "arn:") {
		return f.deployment, nil
	}
	if f.service == "" {
		if f.deployment != "" {
			return "", usageErr(errors.New("a deployment ID needs --service (and --cluster): or give its ARN"))
		}
		return "", usageErr(errors.New("name a deployment (ARN, or ID with --service) or a --service whose current deployment is meant"))
	}
	svc, err := describeService(ctx, c, f.cluster, f.service)
	if err != nil {
		return "", err
	}
	if f.deployment != "" {
		return deploymentARN(svc.ServiceArn, f.deployment), nil
	}
	if svc.CurrentServiceDeployment == "" {
		return "", fmt.Errorf("service %s has no deployment", serviceName(svc.ServiceArn))
	}
	return svc.CurrentServiceDeployment, nil
}

// deploymentARN returns the ARN of deployment id of the service
// serviceArn: arn:...:service/C/S becomes arn:...:service-deployment/C/S/ID.
func deploymentARN(serviceArn, id string) string {
	return strings.Replace(serviceArn, ":service/", ":service-deployment/", 1) + "/" + id
}

// describeService returns a service, or an error that says it was not
// found.
func describeService(ctx context.Context, c *client.Client, cluster, service string) (*ecs.Service, error) {
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesRequest{Cluster: cluster, Services: []string{service}})
	if err != nil {
		return nil, err
	}
	if len(out.Services) == 0 {
		reason := "MISSING"
		if len(out.Failures) > 0 && out.Failures[0].Reason != "" {
			reason = out.Failures[0].Reason
		}
		return nil, fmt.Errorf("service %q of cluster %q: %s", service, cluster, reason)
	}
	return &out.Services[0], nil
}
