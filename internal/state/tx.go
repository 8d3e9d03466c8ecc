package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store"
)

// Tables of the store.
const (
	tableClusters    = "clusters"
	tableTaskDefs    = "taskdefs"
	tableServices    = "services"
	tableRevisions   = "revisions"
	tableDeployments = "deployments"
	tableTasks       = "tasks"
	tableTags        = "tags"
	// tableEvents is the event log, keyed by sequence number (eventKey).
	tableEvents = "events"
	// tableEventCursors keeps, per event consumer, the last event it handled.
	tableEventCursors = "event-cursors"
	// tableAudit is the audit trail, keyed by service and sequence number.
	tableAudit = "audit"
)

// ErrImmutable means a write tried to change a record that never changes.
var ErrImmutable = errors.New("record is immutable")

// Tx gives typed access to the records inside one store transaction.
// Getters return an error wrapping store.ErrNotFound for missing records.
type Tx struct {
	store.Tx
}

func get[T any](t Tx, table, key, what string) (*T, error) {
	v := new(T)
	if err := store.GetJSON(t.Tx, table, key, v); err != nil {
		return nil, fmt.Errorf("get %s %q: %w", what, key, err)
	}
	return v, nil
}

func scan[T any](t Tx, table, prefix, after string, fn func(*T) error) error {
	return store.ScanJSON(t.Tx, table, prefix, after, func(_ string, v *T) error { return fn(v) })
}

// Cluster returns the cluster named name.
func (t Tx) Cluster(name string) (*Cluster, error) {
	return get[Cluster](t, tableClusters, name, "cluster")
}

// PutCluster stores c.
func (t Tx) PutCluster(c *Cluster) error { return store.PutJSON(t.Tx, tableClusters, c.ClusterName, c) }

// DeleteCluster removes the cluster named name.
func (t Tx) DeleteCluster(name string) error { return t.Delete(tableClusters, name) }

// Clusters calls fn for each cluster whose name sorts after `after`, in
// name order. fn may return store.ErrStop.
func (t Tx) Clusters(after string, fn func(*Cluster) error) error {
	return scan(t, tableClusters, "", after, fn)
}

// TaskDefKey is the store key of a task definition revision: keys of one
// family sort by revision.
func TaskDefKey(family string, revision int) string {
	return fmt.Sprintf("%s:%010d", family, revision)
}

// TaskDefinition returns one revision of a task definition family.
func (t Tx) TaskDefinition(family string, revision int) (*ecs.TaskDefinition, error) {
	return get[ecs.TaskDefinition](t, tableTaskDefs, TaskDefKey(family, revision), "task definition")
}

// PutTaskDefinition stores td under its family and revision.
func (t Tx) PutTaskDefinition(td *ecs.TaskDefinition) error {
	return store.PutJSON(t.Tx, tableTaskDefs, TaskDefKey(td.Family, int(*td.Revision)), td)
}

// TaskDefinitions calls fn for each task definition whose key starts with
// prefix and sorts after `after` (see TaskDefKey), in key order.
func (t Tx) TaskDefinitions(prefix, after string, fn func(key string, td *ecs.TaskDefinition) error) error {
	return store.ScanJSON(t.Tx, tableTaskDefs, prefix, after, fn)
}

// LatestTaskDefinition returns the newest revision of family, or only of
// its ACTIVE revisions when activeOnly is set.
func (t Tx) LatestTaskDefinition(family string, activeOnly bool) (*ecs.TaskDefinition, error) {
	var latest *ecs.TaskDefinition
	err := t.TaskDefinitions(family+":", "", func(_ string, td *ecs.TaskDefinition) error {
		if !activeOnly || td.Status == ecs.TaskDefinitionStatusActive {
			latest = td
		}
		return nil
	})
	if err == nil && latest == nil {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get latest task definition %q: %w", family, err)
	}
	return latest, nil
}

func serviceKey(cluster, name string) string { return cluster + "/" + name }

// Service returns the service name of cluster.
func (t Tx) Service(cluster, name string) (*Service, error) {
	return get[Service](t, tableServices, serviceKey(cluster, name), "service")
}

// PutService stores s, keyed by its cluster and name, with the service
// actions it causes (see serviceEvents).
func (t Tx) PutService(s *Service) error {
	key := serviceKey(LastPart(s.ClusterArn), s.ServiceName)
	old, err := getOld[Service](t, tableServices, key, "service")
	if err != nil {
		return err
	}
	if err := store.PutJSON(t.Tx, tableServices, key, s); err != nil {
		return err
	}
	return t.serviceEvents(old, s)
}

// getOld returns the record a Put replaces, nil when there is none.
func getOld[T any](t Tx, table, key, what string) (*T, error) {
	v, err := get[T](t, table, key, what)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// Services calls fn for each service of cluster (every cluster when
// cluster is empty) whose name sorts after `after`, in name order.
func (t Tx) Services(cluster, after string, fn func(*Service) error) error {
	return scanCluster(t, tableServices, cluster, after, fn)
}

// scanCluster scans the records of a table keyed "cluster/name": those
// of one cluster (all when cluster is empty) whose name sorts after
// `after`.
func scanCluster[T any](t Tx, table, cluster, after string, fn func(*T) error) error {
	prefix := ""
	if cluster != "" {
		prefix = cluster + "/"
		if after != "" {
			after = prefix + after
		}
	}
	return scan(t, table, prefix, after, fn)
}

// revisionKey maps a revision ARN to its store key.
func revisionKey(arn string) (string, error) {
	a, err := ParseARN(arn)
	if err != nil || a.Type != "service-revision" || len(a.Parts) != 3 {
		return "", fmt.Errorf("service revision %q: %w", arn, store.ErrNotFound)
	}
	n, err := strconv.ParseUint(a.Parts[2], 10, 64)
	if err != nil {
		return "", fmt.Errorf("service revision %q: %w", arn, store.ErrNotFound)
	}
	return fmt.Sprintf("%s/%s/%020d", a.Parts[0], a.Parts[1], n), nil
}

// Revision returns the service revision with the given ARN.
func (t Tx) Revision(arn string) (*Revision, error) {
	key, err := revisionKey(arn)
	if err != nil {
		return nil, err
	}
	return get[Revision](t, tableRevisions, key, "service revision")
}

// NewRevisionNumber hands out the numeric ID of a new service revision.
func (t Tx) NewRevisionNumber() (uint64, error) { return t.NextSequence(tableRevisions) }

// PutRevision stores a new revision. Revisions are immutable: storing one
// whose ARN exists already returns ErrImmutable.
func (t Tx) PutRevision(r *Revision) error {
	key, err := revisionKey(r.ServiceRevisionArn)
	if err != nil {
		return err
	}
	if ok, err := store.Exists(t.Tx, tableRevisions, key); err != nil || ok {
		return errors.Join(err, fmt.Errorf("put service revision %q: %w", r.ServiceRevisionArn, ErrImmutable))
	}
	return store.PutJSON(t.Tx, tableRevisions, key, r)
}

// deploymentKey maps a service deployment ARN to its store key.
func deploymentKey(arn string) (string, error) {
	a, err := ParseARN(arn)
	if err != nil || a.Type != "service-deployment" || len(a.Parts) != 3 {
		return "", fmt.Errorf("service deployment %q: %w", arn, store.ErrNotFound)
	}
	return a.Parts[0] + "/" + a.Parts[1] + "/" + a.Parts[2], nil
}

// NewDeploymentID hands out the ID of a new service deployment: IDs sort
// in creation order, so a service's deployments are stored that way.
func (t Tx) NewDeploymentID() (string, error) {
	n, err := t.NextSequence(tableDeployments)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%016x", n), nil
}

// Deployment returns the service deployment with the given ARN.
func (t Tx) Deployment(arn string) (*deploy.Deployment, error) {
	key, err := deploymentKey(arn)
	if err != nil {
		return nil, err
	}
	return get[deploy.Deployment](t, tableDeployments, key, "service deployment")
}

// PutDeployment stores d, refusing a status change the deployment state
// machine does not allow (deploy.ErrIllegalTransition), with the
// deployment and hook state changes it causes (see deploymentEvents).
func (t Tx) PutDeployment(d *deploy.Deployment) error {
	key, err := deploymentKey(d.Arn)
	if err != nil {
		return err
	}
	old, err := getOld[deploy.Deployment](t, tableDeployments, key, "service deployment")
	if err != nil {
		return err
	}
	if old != nil {
		if err := deploy.CheckTransition(old.Status, d.Status); err != nil {
			return fmt.Errorf("put service deployment %q: %w", d.Arn, err)
		}
	}
	if err := store.PutJSON(t.Tx, tableDeployments, key, d); err != nil {
		return err
	}
	return t.deploymentEvents(old, d)
}

// Deployments calls fn for each deployment of a service, oldest first.
func (t Tx) Deployments(cluster, service string, fn func(*deploy.Deployment) error) error {
	return scan(t, tableDeployments, serviceKey(cluster, service)+"/", "", fn)
}

func taskKey(cluster, id string) string { return cluster + "/" + id }

// Task returns the task id of cluster.
func (t Tx) Task(cluster, id string) (*Task, error) {
	return get[Task](t, tableTasks, taskKey(cluster, id), "task")
}

// PutTask stores tk, with a task state change when its last or desired
// status changes.
func (t Tx) PutTask(tk *Task) error {
	key := taskKey(LastPart(tk.ClusterArn), tk.ID)
	old, err := getOld[Task](t, tableTasks, key, "task")
	if err != nil {
		return err
	}
	if err := store.PutJSON(t.Tx, tableTasks, key, tk); err != nil {
		return err
	}
	if old == nil {
		if err := t.indexTask(LastPart(tk.ClusterArn), tk); err != nil {
			return err
		}
	}
	return t.taskEvents(old, tk)
}

// DeleteTask removes a task record and its entry in its service's index.
func (t Tx) DeleteTask(cluster, id string) error {
	old, err := getOld[Task](t, tableTasks, taskKey(cluster, id), "task")
	if err != nil {
		return err
	}
	if old != nil && old.ServiceName != "" {
		if err := t.Delete(tableServiceTasks, serviceTaskKey(cluster, old.ServiceName, id)); err != nil {
			return err
		}
	}
	return t.Delete(tableTasks, taskKey(cluster, id))
}

// Tasks calls fn for each task of cluster (every cluster when cluster is
// empty) whose ID sorts after `after`, in ID order.
func (t Tx) Tasks(cluster, after string, fn func(*Task) error) error {
	return scanCluster(t, tableTasks, cluster, after, fn)
}

// Tags returns the tags of a resource (none when it has none).
func (t Tx) Tags(arn string) ([]ecs.Tag, error) {
	var tags []ecs.Tag
	err := store.GetJSON(t.Tx, tableTags, arn, &tags)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return tags, err
}

// PutTags replaces the tags of a resource.
func (t Tx) PutTags(arn string, tags []ecs.Tag) error {
	if len(tags) == 0 {
		return t.Delete(tableTags, arn)
	}
	return store.PutJSON(t.Tx, tableTags, arn, tags)
}

// View runs fn in a read-only transaction of st.
func View(ctx context.Context, st store.Store, fn func(Tx) error) error {
	return st.View(ctx, func(tx store.Tx) error { return fn(Tx{Tx: tx}) })
}

// Update runs fn in a write transaction of st.
func Update(ctx context.Context, st store.Store, fn func(Tx) error) error {
	return st.Update(ctx, func(tx store.Tx) error { return fn(Tx{Tx: tx}) })
}

// Batch runs fn in a write transaction of st that concurrent Batch
// calls may share (store.Batch): fn may be called more than once.
func Batch(ctx context.Context, st store.Store, fn func(Tx) error) error {
	return store.Batch(ctx, st, func(tx store.Tx) error { return fn(Tx{Tx: tx}) })
}
