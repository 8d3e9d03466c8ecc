package state

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"github.com/cutover/cutover/internal/store"
)

// The tasks of a service are found through an index, not by scanning
// the cluster's tasks: with a thousand services in a cluster, every
// DescribeServices and every controller pass over a service would
// otherwise decode every task of the cluster (quadratic in the number of
// services). The index is a table keyed "cluster/service/taskID" with
// empty values; PutTask and DeleteTask keep it. A store written before
// the index existed has no marker (tableMeta's metaServiceTasks) until
// IndexServiceTasks has filled it; until then ServiceTasks scans.
const (
	tableServiceTasks = "service-tasks"
	// tableMeta holds facts about the store itself.
	tableMeta        = "meta"
	metaServiceTasks = "service-tasks-indexed"
)

func serviceTaskKey(cluster, service, id string) string {
	return cluster + "/" + service + "/" + id
}

// indexTask adds tk to the index of its service's tasks. Tasks that no
// service runs are not indexed.
func (t Tx) indexTask(cluster string, tk *Task) error {
	if tk.ServiceName == "" {
		return nil
	}
	return t.Put(tableServiceTasks, serviceTaskKey(cluster, tk.ServiceName, tk.ID), []byte{})
}

// ServiceTasks calls fn for each task of a service of cluster, STOPPED
// ones included, in ID order. fn may return store.ErrStop.
func (t Tx) ServiceTasks(cluster, service string, fn func(*Task) error) error {
	indexed, err := store.Exists(t.Tx, tableMeta, metaServiceTasks)
	if err != nil {
		return err
	}
	if !indexed {
		return t.Tasks(cluster, "", func(tk *Task) error {
			if tk.ServiceName != service {
				return nil
			}
			return fn(tk)
		})
	}
	prefix := serviceTaskKey(cluster, service, "")
	// Collect the IDs first: the tasks are read from another table, and
	// fn may end the scan.
	var ids []string
	err = t.Scan(tableServiceTasks, prefix, "", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, prefix))
		return nil
	})
	if err != nil {
		return fmt.Errorf("list tasks of service %s/%s: %w", cluster, service, err)
	}
	for _, id := range ids {
		tk, err := t.Task(cluster, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // an index entry whose task is gone changes nothing
		}
		if err != nil {
			return err
		}
		if err := fn(tk); err != nil {
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// IndexServiceTasks fills the index of each service's tasks from the
// stored tasks, once: a store that has it already is left alone. It is
// idempotent and safe to run while the API serves (PutTask keeps the
// index meanwhile).
func IndexServiceTasks(ctx context.Context, st store.Store) error {
	var indexed bool
	err := st.View(ctx, func(tx store.Tx) (err error) {
		indexed, err = store.Exists(tx, tableMeta, metaServiceTasks)
		return err
	})
	if err != nil || indexed {
		return err
	}
	err = Update(ctx, st, func(tx Tx) error {
		var tasks []*Task
		err := tx.Tasks("", "", func(tk *Task) error {
			tasks = append(tasks, tk)
			return nil
		})
		if err != nil {
			return err
		}
		for _, tk := range tasks {
			if err := tx.indexTask(LastPart(tk.ClusterArn), tk); err != nil {
				return err
			}
		}
		return tx.Put(tableMeta, metaServiceTasks, []byte("1"))
	})
	if err != nil {
		return fmt.Errorf("index the tasks of each service: %w", err)
	}
	return nil
}

// digestSeed seeds ServiceDigest: digests are compared within one
// process only.
var digestSeed = maphash.MakeSeed()

// ServiceDigest hashes the stored bytes of the service name of cluster,
// of the deployment deploymentArn (none when empty) and of every task of
// the service: whenever any of them changes, so does the digest (short
// of a 64-bit collision). It reports false when the store has no index
// of the service's tasks yet. Hashing stored bytes costs a small part of
// decoding them, so that a controller pass can leave alone a steady
// service that nothing changed.
func (t Tx) ServiceDigest(cluster, name, deploymentArn string) (uint64, bool, error) {
	indexed, err := store.Exists(t.Tx, tableMeta, metaServiceTasks)
	if err != nil || !indexed {
		return 0, false, err
	}
	var h maphash.Hash
	h.SetSeed(digestSeed)
	add := func(table, key string) error {
		b, err := t.Get(table, key)
		if errors.Is(err, store.ErrNotFound) {
			b, err = nil, nil
		}
		if err != nil {
			return err
		}
		// Lengths keep the concatenation unambiguous.
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(key))<<32|uint64(len(b)))
		h.Write(n[:])
		h.WriteString(key)
		h.Write(b)
		return nil
	}
	if err := add(tableServices, serviceKey(cluster, name)); err != nil {
		return 0, false, err
	}
	if deploymentArn != "" {
		key, err := deploymentKey(deploymentArn)
		if err != nil {
			return 0, false, err
		}
		if err := add(tableDeployments, key); err != nil {
			return 0, false, err
		}
	}
	prefix := serviceTaskKey(cluster, name, "")
	var ids []string
	err = t.Scan(tableServiceTasks, prefix, "", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, prefix))
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	for _, id := range ids {
		if err := add(tableTasks, taskKey(cluster, id)); err != nil {
			return 0, false, err
		}
	}
	return h.Sum64(), true, nil
}

// ServiceKeys calls fn with the cluster and name of every service, in
// key order, without decoding the records: a pass lists the services
// this way and reads each one only when it is not known to be steady.
func (t Tx) ServiceKeys(fn func(cluster, name string) error) error {
	return t.Scan(tableServices, "", "", func(key string, _ []byte) error {
		cluster, name, _ := strings.Cut(key, "/")
		return fn(cluster, name)
	})
}

// TaskDigests calls fn with the cluster, ID and a digest of the stored
// bytes of every task (see ServiceDigest), and decode, which decodes
// that task. A pass decodes only the tasks whose digest changed since
// it last looked, and reuses its own copy of the others.
func (t Tx) TaskDigests(fn func(cluster, id string, digest uint64, decode func() (*Task, error)) error) error {
	return t.Scan(tableTasks, "", "", func(key string, b []byte) error {
		cluster, id, _ := strings.Cut(key, "/")
		decode := func() (*Task, error) {
			v := new(Task)
			if err := json.Unmarshal(b, v); err != nil {
				return nil, fmt.Errorf("decode task %s: %w", key, err)
			}
			return v, nil
		}
		return fn(cluster, id, maphash.Bytes(digestSeed, b), decode)
	})
}
