package ecsapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// serviceOf returns the service ref (a name or an ARN) of cluster, or
// ServiceNotFoundException.
func serviceOf(tx state.Tx, cluster, ref string) (*state.Service, error) {
	s, err := tx.Service(cluster, state.LastPart(ref))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errServiceNotFound
	}
	return s, err
}

// clusterService returns the service serviceRef of the ACTIVE cluster
// clusterRef (each a name or an ARN).
func clusterService(tx state.Tx, clusterRef, serviceRef string) (*state.Service, error) {
	c, err := activeCluster(tx, clusterRef)
	if err != nil {
		return nil, err
	}
	return serviceOf(tx, c.ClusterName, serviceRef)
}

// activeTaskDefinition resolves ref to an ACTIVE task definition.
func activeTaskDefinition(tx state.Tx, ref string) (*ecs.TaskDefinition, error) {
	if _, _, err := state.ParseTaskDefinitionRef(ref); err != nil {
		return nil, invalidParam("Invalid task definition %q.", ref)
	}
	td, err := tx.ResolveTaskDefinition(ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalidParam("TaskDefinition not found.")
	}
	if err != nil {
		return nil, err
	}
	if td.Status != ecs.TaskDefinitionStatusActive {
		return nil, invalidParam("TaskDefinition is inactive.")
	}
	return td, nil
}

func (a *API) createService(ctx context.Context, req *ecs.CreateServiceRequest) (*ecs.CreateServiceResponse, error) {
	if !nameRE.MatchString(req.ServiceName) {
		return nil, invalidParam("Service name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.")
	}
	if req.TaskDefinition == "" {
		return nil, invalidParam("A task definition is required to create a service.")
	}
	if req.SchedulingStrategy != "" && req.SchedulingStrategy != ecs.SchedulingStrategyReplica {
		return nil, invalidParam("cutover supports only the REPLICA scheduling strategy.")
	}
	if ecs.Int32Value(req.DesiredCount) < 0 {
		return nil, invalidParam("desiredCount must be 0 or more.")
	}
	if err := checkServiceConfig(req.DeploymentController, req.DeploymentConfiguration); err != nil {
		return nil, err
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	var out *ecs.Service
	err := a.update(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		if old, err := tx.Service(c.ClusterName, req.ServiceName); err == nil && old.Status != state.ServiceInactive {
			return invalidParam("Creation of service was not idempotent.")
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		td, err := activeTaskDefinition(tx, req.TaskDefinition)
		if err != nil {
			return err
		}
		if err := checkLoadBalancers(tx, req.LoadBalancers, td, withDefaults(req.DeploymentConfiguration).Strategy); err != nil {
			return err
		}
		now := a.now()
		svc := &state.Service{Service: ecs.Service{
			ServiceArn:                    a.arns.Service(c.ClusterName, req.ServiceName),
			ServiceName:                   req.ServiceName,
			ClusterArn:                    c.ClusterArn,
			LoadBalancers:                 req.LoadBalancers,
			ServiceRegistries:             req.ServiceRegistries,
			Status:                        state.ServiceActive,
			DesiredCount:                  ecs.Int32(ecs.Int32Value(req.DesiredCount)),
			LaunchType:                    req.LaunchType,
			CapacityProviderStrategy:      req.CapacityProviderStrategy,
			PlatformVersion:               req.PlatformVersion,
			TaskDefinition:                td.TaskDefinitionArn,
			DeploymentConfiguration:       withDefaults(req.DeploymentConfiguration),
			RoleArn:                       req.Role,
			CreatedAt:                     ecs.TimeOf(now),
			PlacementConstraints:          req.PlacementConstraints,
			PlacementStrategy:             req.PlacementStrategy,
			NetworkConfiguration:          req.NetworkConfiguration,
			HealthCheckGracePeriodSeconds: req.HealthCheckGracePeriodSeconds,
			SchedulingStrategy:            ecs.SchedulingStrategyReplica,
			DeploymentController:          &ecs.DeploymentController{Type: ecs.DeploymentControllerTypeEcs},
			EnableECSManagedTags:          ecs.Bool(ecs.BoolValue(req.EnableECSManagedTags)),
			PropagateTags:                 req.PropagateTags,
			EnableExecuteCommand:          ecs.Bool(ecs.BoolValue(req.EnableExecuteCommand)),
			CreatedBy:                     "arn:aws:iam::" + a.arns.Account + ":root",
		}}
		if svc.LaunchType == "" && len(svc.CapacityProviderStrategy) == 0 {
			// Tasks run on machines the user owns: ECS Anywhere's launch type.
			svc.LaunchType = ecs.LaunchTypeExternal
		}
		if err := a.deployRevision(tx, svc, td, now); err != nil {
			return err
		}
		if err := tx.PutTags(svc.ServiceArn, req.Tags); err != nil {
			return err
		}
		err = a.record(ctx, tx, cutoverapi.AuditRecord{
			Action: cutoverapi.ActionCreateService, ServiceArn: svc.ServiceArn, ServiceDeploymentArn: svc.Deployment,
			Detail: fmt.Sprintf("taskDefinition %s, desiredCount %d", td.TaskDefinitionArn, ecs.Int32Value(svc.DesiredCount)),
		})
		if err != nil {
			return err
		}
		out, err = a.renderService(tx, svc, []ecs.ServiceField{ecs.ServiceFieldTags})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.CreateServiceResponse{Service: out}, nil
}

// checkServiceConfig refuses configurations cutover cannot honour yet,
// rather than ignoring them.
func checkServiceConfig(ctrl *ecs.DeploymentController, cfg *ecs.DeploymentConfiguration) error {
	if ctrl != nil && ctrl.Type != ecs.DeploymentControllerTypeEcs {
		return invalidParam("cutover supports only the ECS deployment controller.")
	}
	if cfg == nil {
		return nil
	}
	if err := checkStrategy(cfg); err != nil {
		return err
	}
	minPct, maxPct := ecs.Int32Value(cfg.MinimumHealthyPercent), int32(200)
	if cfg.MaximumPercent != nil {
		maxPct = *cfg.MaximumPercent
	}
	if minPct < 0 || minPct > 100 {
		return invalidParam("minimumHealthyPercent must be between 0 and 100.")
	}
	if maxPct < 100 {
		return invalidParam("maximumPercent must be at least 100.")
	}
	return checkHooks(withDefaults(cfg))
}

// checkStrategy validates the strategy and the step settings of LINEAR
// and CANARY (the model cannot say that percentages are multiples of 0.1).
func checkStrategy(cfg *ecs.DeploymentConfiguration) error {
	tenths := func(v float64) bool { return math.Abs(v*10-math.Round(v*10)) < 1e-6 }
	bake := func(name string, m *int32) error {
		if m != nil && (*m < 0 || *m > deploy.MaxStepBakeTimeMinutes) {
			return invalidParam("%s must be between 0 and %d minutes.", name, deploy.MaxStepBakeTimeMinutes)
		}
		return nil
	}
	switch cfg.Strategy {
	case "", ecs.DeploymentStrategyRolling, ecs.DeploymentStrategyBlueGreen:
	case ecs.DeploymentStrategyLinear:
		if c := cfg.LinearConfiguration; c != nil {
			if v := c.StepPercent; v != nil && (*v < deploy.MinStepPercent || *v > 100 || !tenths(*v)) {
				return invalidParam("linearConfiguration.stepPercent must be a multiple of 0.1 from %.1f to 100.0.", deploy.MinStepPercent)
			}
			if err := bake("linearConfiguration.stepBakeTimeInMinutes", c.StepBakeTimeInMinutes); err != nil {
				return err
			}
		}
	case ecs.DeploymentStrategyCanary:
		if c := cfg.CanaryConfiguration; c != nil {
			if v := c.CanaryPercent; v != nil && (*v < deploy.MinCanaryPercent || *v > 100 || !tenths(*v)) {
				return invalidParam("canaryConfiguration.canaryPercent must be a multiple of 0.1 from %.1f to 100.0.", deploy.MinCanaryPercent)
			}
			if err := bake("canaryConfiguration.canaryBakeTimeInMinutes", c.CanaryBakeTimeInMinutes); err != nil {
				return err
			}
		}
	default:
		return invalidParam("Unknown deployment strategy %s.", cfg.Strategy)
	}
	if cfg.LinearConfiguration != nil && cfg.Strategy != ecs.DeploymentStrategyLinear ||
		cfg.CanaryConfiguration != nil && cfg.Strategy != ecs.DeploymentStrategyCanary {
		return invalidParam("linearConfiguration goes with the LINEAR strategy and canaryConfiguration with CANARY.")
	}
	return nil
}

// withDefaults returns a copy of cfg with the defaults ECS reports.
func withDefaults(cfg *ecs.DeploymentConfiguration) *ecs.DeploymentConfiguration {
	out := ecs.DeploymentConfiguration{}
	if cfg != nil {
		out = *cfg
	}
	if out.MinimumHealthyPercent == nil {
		out.MinimumHealthyPercent = ecs.Int32(100)
	}
	if out.MaximumPercent == nil {
		out.MaximumPercent = ecs.Int32(200)
	}
	if out.Strategy == "" {
		out.Strategy = ecs.DeploymentStrategyRolling
	}
	if out.DeploymentCircuitBreaker == nil {
		out.DeploymentCircuitBreaker = &ecs.DeploymentCircuitBreaker{Enable: ecs.Bool(false), Rollback: ecs.Bool(false)}
	}
	return &out
}

// deployRevision records a new immutable revision of svc running td,
// starts a service deployment to it, stops the deployment it replaces,
// and stores the service.
func (a *API) deployRevision(tx state.Tx, svc *state.Service, td *ecs.TaskDefinition, now time.Time) error {
	cluster := state.LastPart(svc.ClusterArn)
	n, err := tx.NewRevisionNumber()
	if err != nil {
		return err
	}
	rev := &state.Revision{Number: n, LegacyID: fmt.Sprintf("ecs-svc/%019d", rand.Int64N(9e18-1e18)+1e18)}
	rev.ServiceRevision = ecs.ServiceRevision{
		ServiceRevisionArn:       a.arns.ServiceRevision(cluster, svc.ServiceName, n),
		ServiceArn:               svc.ServiceArn,
		ClusterArn:               svc.ClusterArn,
		TaskDefinition:           td.TaskDefinitionArn,
		CapacityProviderStrategy: svc.CapacityProviderStrategy,
		LaunchType:               svc.LaunchType,
		PlatformVersion:          svc.PlatformVersion,
		LoadBalancers:            svc.LoadBalancers,
		ServiceRegistries:        svc.ServiceRegistries,
		NetworkConfiguration:     svc.NetworkConfiguration,
		CreatedAt:                ecs.TimeOf(now),
	}
	for _, cd := range td.ContainerDefinitions {
		rev.ContainerImages = append(rev.ContainerImages, ecs.ContainerImage{ContainerName: cd.Name, Image: cd.Image})
	}
	if rev.ResolvedConfiguration, err = resolveLoadBalancers(tx, svc); err != nil {
		return err
	}
	if err := tx.PutRevision(rev); err != nil {
		return err
	}

	id, err := tx.NewDeploymentID()
	if err != nil {
		return err
	}
	d := &deploy.Deployment{
		Arn:        a.arns.ServiceDeployment(cluster, svc.ServiceName, id),
		ServiceArn: svc.ServiceArn,
		ClusterArn: svc.ClusterArn,
		Strategy:   svc.DeploymentConfiguration.Strategy,
		Status:     ecs.ServiceDeploymentStatusPending,
		Config:     *svc.DeploymentConfiguration,
		Target:     deploy.RevisionCounts{Arn: rev.ServiceRevisionArn, Requested: int(ecs.Int32Value(svc.DesiredCount))},
		RollbackTo: svc.StableRevision,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	// The sources are whatever runs now: after an interrupted deployment,
	// possibly several revisions.
	seen := map[string]bool{}
	err = tx.ServiceTasks(cluster, svc.ServiceName, func(t *state.Task) error {
		if t.DesiredStatus == state.TaskRunning && !seen[t.Revision] {
			seen[t.Revision] = true
			d.Sources = append(d.Sources, deploy.RevisionCounts{Arn: t.Revision})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := stopCurrentDeployment(tx, svc, "Stopped by a newer service deployment", now); err != nil {
		return err
	}
	if err := tx.PutDeployment(d); err != nil {
		return err
	}
	svc.Revision, svc.Deployment, svc.TaskDefinition = rev.ServiceRevisionArn, d.Arn, td.TaskDefinitionArn
	svc.Steady = false
	return tx.PutService(svc)
}

// stopCurrentDeployment moves the service's ongoing deployment to
// STOP_REQUESTED and records it on the service for the controller, which
// stops it.
func stopCurrentDeployment(tx state.Tx, svc *state.Service, reason string, now time.Time) error {
	if svc.Deployment == "" {
		return nil
	}
	d, err := tx.Deployment(svc.Deployment)
	if err != nil || !d.Ongoing() || d.Status == ecs.ServiceDeploymentStatusStopRequested {
		return err
	}
	d.Status, d.StatusReason, d.UpdatedAt = ecs.ServiceDeploymentStatusStopRequested, reason, now
	svc.StopRequested = append(svc.StopRequested, d.Arn)
	return tx.PutDeployment(d)
}
