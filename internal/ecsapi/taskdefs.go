package ecsapi

import (
	"context"
	"errors"
	"slices"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// maxRevisions is how many revisions a family may have, as in ECS.
const maxRevisions = 1_000_000

// errTaskDefinitionNotFound is ECS's answer for a task definition that
// does not exist (or, for a family alone, has no ACTIVE revision).
var errTaskDefinitionNotFound = clientErr("Unable to describe task definition.")

// parseTaskDefRef parses a task definition reference given as "family",
// "family:revision" or an ARN; revision is 0 for a family alone.
// Malformed references are InvalidParameterException. An ARN of another
// region or account names nothing here: errTaskDefinitionNotFound.
func (a *API) parseTaskDefRef(ref string) (family string, revision int, err error) {
	family, revision, err = state.ParseTaskDefinitionRef(ref)
	if err != nil || !nameRE.MatchString(family) {
		return "", 0, invalidParam("Invalid task definition %q: give a family, family:revision or a task definition ARN.", truncateRef(ref))
	}
	if state.IsARN(ref) && !a.ownARN(ref) {
		return "", 0, errTaskDefinitionNotFound
	}
	return family, revision, nil
}

// ownARN reports whether arn belongs to this control plane's region and
// account.
func (a *API) ownARN(arn string) bool {
	p, err := state.ParseARN(arn)
	return err == nil && p.Region == a.arns.Region && p.Account == a.arns.Account
}

// truncateRef shortens a reference repeated in an error message.
func truncateRef(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// lookupTaskDef returns one revision of family, or its latest ACTIVE
// revision when revision is 0, or errTaskDefinitionNotFound.
func lookupTaskDef(tx state.Tx, family string, revision int) (*ecs.TaskDefinition, error) {
	var td *ecs.TaskDefinition
	var err error
	if revision == 0 {
		td, err = tx.LatestTaskDefinition(family, true)
	} else {
		td, err = tx.TaskDefinition(family, revision)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, errTaskDefinitionNotFound
	}
	return td, err
}

// registerTaskDefinition adds the next revision of a family: one more
// than its latest, deregistered or not, starting at 1.
func (a *API) registerTaskDefinition(ctx context.Context, req *ecs.RegisterTaskDefinitionRequest) (*ecs.RegisterTaskDefinitionResponse, error) {
	if err := validateRegistration(req); err != nil {
		return nil, err
	}
	td := newTaskDefinition(req)
	td.RegisteredAt = ecs.TimeOf(a.now())
	err := a.update(ctx, func(tx state.Tx) error {
		revision := 1
		latest, err := tx.LatestTaskDefinition(td.Family, false)
		switch {
		case err == nil:
			revision = int(ecs.Int32Value(latest.Revision)) + 1
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if revision > maxRevisions {
			return apiErr("LimitExceededException", "The family %s has reached the limit of %d revisions.", td.Family, maxRevisions)
		}
		td.Revision = ecs.Int32(int32(revision))
		td.TaskDefinitionArn = a.arns.TaskDefinition(td.Family, revision)
		if err := tx.PutTaskDefinition(td); err != nil {
			return err
		}
		return tx.PutTags(td.TaskDefinitionArn, req.Tags)
	})
	if err != nil {
		return nil, err
	}
	return &ecs.RegisterTaskDefinitionResponse{TaskDefinition: td, Tags: req.Tags}, nil
}

// newTaskDefinition builds the ACTIVE task definition a registration
// describes, with the defaults ECS fills in: a container's cpu is 0 and
// essential is true unless given, a port mapping's protocol is tcp, and
// compatibilities is EC2 plus every requested compatibility. Revision,
// ARN and registeredAt are left to the caller.
func newTaskDefinition(req *ecs.RegisterTaskDefinitionRequest) *ecs.TaskDefinition {
	containers := slices.Clone(req.ContainerDefinitions)
	for i := range containers {
		c := &containers[i]
		if c.Cpu == nil {
			c.Cpu = ecs.Int32(0)
		}
		if c.Essential == nil {
			c.Essential = ecs.Bool(true)
		}
		c.PortMappings = slices.Clone(c.PortMappings)
		for j := range c.PortMappings {
			if c.PortMappings[j].Protocol == "" {
				c.PortMappings[j].Protocol = ecs.TransportProtocolTcp
			}
		}
	}
	compat := []ecs.Compatibility{ecs.CompatibilityEc2}
	for _, c := range req.RequiresCompatibilities {
		if !slices.Contains(compat, c) {
			compat = append(compat, c)
		}
	}
	return &ecs.TaskDefinition{
		Family:                  req.Family,
		ContainerDefinitions:    containers,
		TaskRoleArn:             req.TaskRoleArn,
		ExecutionRoleArn:        req.ExecutionRoleArn,
		NetworkMode:             req.NetworkMode,
		Volumes:                 req.Volumes,
		Status:                  ecs.TaskDefinitionStatusActive,
		PlacementConstraints:    req.PlacementConstraints,
		Compatibilities:         compat,
		RuntimePlatform:         req.RuntimePlatform,
		RequiresCompatibilities: req.RequiresCompatibilities,
		Cpu:                     req.Cpu,
		Memory:                  req.Memory,
		InferenceAccelerators:   req.InferenceAccelerators,
		PidMode:                 req.PidMode,
		IpcMode:                 req.IpcMode,
		ProxyConfiguration:      req.ProxyConfiguration,
		EphemeralStorage:        req.EphemeralStorage,
		EnableFaultInjection:    req.EnableFaultInjection,
	}
}

// describeTaskDefinition describes one revision, of any status, or for a
// family alone its latest ACTIVE revision.
func (a *API) describeTaskDefinition(ctx context.Context, req *ecs.DescribeTaskDefinitionRequest) (*ecs.DescribeTaskDefinitionResponse, error) {
	family, revision, err := a.parseTaskDefRef(req.TaskDefinition)
	if err != nil {
		return nil, err
	}
	out := &ecs.DescribeTaskDefinitionResponse{}
	err = a.view(ctx, func(tx state.Tx) error {
		td, err := lookupTaskDef(tx, family, revision)
		if err != nil {
			return err
		}
		out.TaskDefinition = td
		if slices.Contains(req.Include, ecs.TaskDefinitionFieldTags) {
			out.Tags, err = tx.Tags(td.TaskDefinitionArn)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deregisterTaskDefinition makes a revision INACTIVE. Deregistering one
// that is not ACTIVE answers with it unchanged.
func (a *API) deregisterTaskDefinition(ctx context.Context, req *ecs.DeregisterTaskDefinitionRequest) (*ecs.DeregisterTaskDefinitionResponse, error) {
	family, revision, err := a.parseTaskDefRef(req.TaskDefinition)
	if err != nil {
		return nil, err
	}
	if revision == 0 {
		return nil, invalidParam("A revision must be given to deregister a task definition: family:revision or a task definition ARN.")
	}
	var out *ecs.TaskDefinition
	err = a.update(ctx, func(tx state.Tx) error {
		td, err := lookupTaskDef(tx, family, revision)
		if err != nil {
			return err
		}
		out = td
		if td.Status != ecs.TaskDefinitionStatusActive {
			// Deregistering again answers with the definition as it is.
			return nil
		}
		td.Status = ecs.TaskDefinitionStatusInactive
		td.DeregisteredAt = ecs.TimeOf(a.now())
		return tx.PutTaskDefinition(td)
	})
	if err != nil {
		return nil, err
	}
	return &ecs.DeregisterTaskDefinitionResponse{TaskDefinition: out}, nil
}
