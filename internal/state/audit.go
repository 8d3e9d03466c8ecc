package state

import (
	"fmt"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/store"
)

// The audit trail's event: cutover's own, beside the ECS ones.
const (
	// DetailAuditRecord is the detail type of an audit record's event.
	DetailAuditRecord = "Cutover Audit Record"
	// AuditSource is the source of audit record events.
	AuditSource = "cutover"
)

// auditKey keys a record under its service, in sequence order.
func auditKey(cluster, service string, seq uint64) string {
	return fmt.Sprintf("%s/%020d", serviceKey(cluster, service), seq)
}

// AppendAudit records r (a cutoverapi.AuditRecord), numbered and timed now, in the audit trail of
// the service of cluster, and emits it as an event: both are kept if and
// only if the transaction commits.
func (t Tx) AppendAudit(cluster, service string, r *cutoverapi.AuditRecord, now time.Time) error {
	seq, err := t.NextSequence(tableAudit)
	if err != nil {
		return fmt.Errorf("append audit record: %w", err)
	}
	r.Seq, r.Time = seq, now.UTC()
	if err := store.PutJSON(t.Tx, tableAudit, auditKey(cluster, service, seq), r); err != nil {
		return fmt.Errorf("append audit record: %w", err)
	}
	resources := []string{r.ServiceArn}
	if r.ServiceDeploymentArn != "" {
		resources = append(resources, r.ServiceDeploymentArn)
	}
	return t.appendEvent(AuditSource, DetailAuditRecord, resources, r)
}

// AuditRecords calls fn with the audit records of the service of
// cluster, oldest first, from the one after sequence number after. fn
// may return store.ErrStop.
func (t Tx) AuditRecords(cluster, service string, after uint64, fn func(*cutoverapi.AuditRecord) error) error {
	start := ""
	if after > 0 {
		start = auditKey(cluster, service, after)
	}
	return scan(t, tableAudit, serviceKey(cluster, service)+"/", start, fn)
}
