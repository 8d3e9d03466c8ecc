package ecsapi

import (
	"context"
	"fmt"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/state"
)

// record adds r to the audit trail of its service, as the actor ctx
// carries, in the transaction that made the change.
func (a *API) record(ctx context.Context, tx state.Tx, r cutoverapi.AuditRecord) error {
	arn, err := state.ParseARN(r.ServiceArn)
	if err != nil || len(arn.Parts) != 2 {
		return fmt.Errorf("audit record for service %q: %w", r.ServiceArn, err)
	}
	r.Actor = audit.ActorFrom(ctx)
	c, err := tx.Cluster(arn.Parts[0])
	if err != nil {
		return err
	}
	r.ClusterArn = c.ClusterArn
	return tx.AppendAudit(arn.Parts[0], arn.Parts[1], &r, a.now())
}
