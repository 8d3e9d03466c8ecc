package ecsapi

import (
	"context"
	"errors"
	"regexp"
	"slices"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Cluster statuses.
const (
	clusterActive   = "ACTIVE"
	clusterInactive = "INACTIVE"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// clusterName turns a cluster given by name or ARN (or not at all) into
// its name.
func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	return state.LastPart(ref)
}

// activeCluster returns the ACTIVE cluster ref names, or
// ClusterNotFoundException.
func activeCluster(tx state.Tx, ref string) (*state.Cluster, error) {
	c, err := tx.Cluster(clusterName(ref))
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status != clusterActive) {
		return nil, errClusterNotFound
	}
	return c, err
}

func (a *API) createCluster(ctx context.Context, req *ecs.CreateClusterRequest) (*ecs.CreateClusterResponse, error) {
	name := clusterName(req.ClusterName)
	if !nameRE.MatchString(name) {
		return nil, invalidParam("Cluster name can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.")
	}
	if err := validateClusterTags(req.Tags); err != nil {
		return nil, err
	}
	var out *ecs.Cluster
	err := a.update(ctx, func(tx state.Tx) error {
		c, err := tx.Cluster(name)
		if err == nil && c.Status == clusterActive {
			// CreateCluster is idempotent for an existing cluster.
			out, err = a.renderCluster(tx, c, nil)
			return err
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c = &state.Cluster{Cluster: ecs.Cluster{
			ClusterArn:        a.arns.Cluster(name),
			ClusterName:       name,
			Status:            clusterActive,
			Settings:          req.Settings,
			Configuration:     req.Configuration,
			CapacityProviders: req.CapacityProviders,
		}}
		if err := tx.PutCluster(c); err != nil {
			return err
		}
		if err := tx.PutTags(c.ClusterArn, req.Tags); err != nil {
			return err
		}
		out, err = a.renderCluster(tx, c, []ecs.ClusterField{ecs.ClusterFieldTags})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.CreateClusterResponse{Cluster: out}, nil
}

func (a *API) describeClusters(ctx context.Context, req *ecs.DescribeClustersRequest) (*ecs.DescribeClustersResponse, error) {
	refs := req.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	if len(refs) > 100 {
		return nil, invalidParam("clusters can have at most 100 items.")
	}
	out := &ecs.DescribeClustersResponse{Clusters: []ecs.Cluster{}, Failures: []ecs.Failure{}}
	err := a.view(ctx, func(tx state.Tx) error {
		for _, ref := range refs {
			c, err := tx.Cluster(clusterName(ref))
			if errors.Is(err, store.ErrNotFound) {
				out.Failures = append(out.Failures, ecs.Failure{Arn: a.arns.Cluster(clusterName(ref)), Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			rc, err := a.renderCluster(tx, c, req.Include)
			if err != nil {
				return err
			}
			out.Clusters = append(out.Clusters, *rc)
		}
		return nil
	})
	return out, err
}

// renderCluster is a cluster as DescribeClusters shows it, with its
// task and service counts.
func (a *API) renderCluster(tx state.Tx, c *state.Cluster, include []ecs.ClusterField) (*ecs.Cluster, error) {
	out := c.Cluster
	var running, pending, services int32
	err := tx.Tasks(c.ClusterName, "", func(t *state.Task) error {
		switch t.LastStatus {
		case state.TaskRunning:
			running++
		case state.TaskProvisioning, state.TaskPending:
			pending++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.Services(c.ClusterName, "", func(s *state.Service) error {
		if s.Status == state.ServiceActive {
			services++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.RunningTasksCount, out.PendingTasksCount = &running, &pending
	out.ActiveServicesCount, out.RegisteredContainerInstancesCount = &services, ecs.Int32(0)
	if slices.Contains(include, ecs.ClusterFieldTags) {
		if out.Tags, err = tx.Tags(c.ClusterArn); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

func (a *API) listClusters(ctx context.Context, req *ecs.ListClustersRequest) (*ecs.ListClustersResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, 100, 100)
	if err != nil {
		return nil, err
	}
	out := &ecs.ListClustersResponse{ClusterArns: []string{}}
	err = a.view(ctx, func(tx state.Tx) error {
		return tx.Clusters(after, func(c *state.Cluster) error {
			if c.Status != clusterActive {
				return nil
			}
			if !pg.add(c.ClusterName) {
				return store.ErrStop
			}
			out.ClusterArns = append(out.ClusterArns, c.ClusterArn)
			return nil
		})
	})
	out.NextToken = pg.token()
	return out, err
}

func (a *API) deleteCluster(ctx context.Context, req *ecs.DeleteClusterRequest) (*ecs.DeleteClusterResponse, error) {
	var out *ecs.Cluster
	err := a.update(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		err = tx.Services(c.ClusterName, "", func(s *state.Service) error {
			if s.Status != state.ServiceInactive {
				return apiErr("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Tasks(c.ClusterName, "", func(t *state.Task) error {
			if t.LastStatus != state.TaskStopped {
				return apiErr("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.Status = clusterInactive
		if err := tx.PutCluster(c); err != nil {
			return err
		}
		out, err = a.renderCluster(tx, c, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.DeleteClusterResponse{Cluster: out}, nil
}
