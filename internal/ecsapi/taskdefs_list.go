package ecsapi

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// Paging limits of the task definition listings.
const (
	defaultTaskDefPage = 100
	maxTaskDefPage     = 100
)

// tdEntry is one task definition revision in a listing.
type tdEntry struct {
	family   string
	revision int
	arn      string
}

// compareTD orders revisions by family name, then revision number.
func compareTD(a, b tdEntry) int {
	return cmp.Or(cmp.Compare(a.family, b.family), cmp.Compare(a.revision, b.revision))
}

// parseTDToken turns the resume key of a task definition listing
// (state.TaskDefKey of the last revision listed) back into an entry.
func parseTDToken(after string) (tdEntry, error) {
	i := strings.LastIndexByte(after, ':')
	if i < 1 {
		return tdEntry{}, invalidParam("Invalid nextToken.")
	}
	rev, err := strconv.Atoi(after[i+1:])
	if err != nil {
		return tdEntry{}, invalidParam("Invalid nextToken.")
	}
	return tdEntry{family: after[:i], revision: rev}, nil
}

// listTaskDefinitions lists revisions ordered by family name and then
// revision (both reversed for DESC). As in ECS, familyPrefix is a full
// family name, not a prefix.
func (a *API) listTaskDefinitions(ctx context.Context, req *ecs.ListTaskDefinitionsRequest) (*ecs.ListTaskDefinitionsResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, defaultTaskDefPage, maxTaskDefPage)
	if err != nil {
		return nil, err
	}
	var from tdEntry
	if after != "" {
		if from, err = parseTDToken(after); err != nil {
			return nil, err
		}
	}
	status := cmp.Or(req.Status, ecs.TaskDefinitionStatusActive)
	desc := req.Sort == ecs.SortOrderDesc
	prefix := ""
	if req.FamilyPrefix != "" {
		prefix = req.FamilyPrefix + ":"
	}
	var all []tdEntry
	err = a.view(ctx, func(tx state.Tx) error {
		return tx.TaskDefinitions(prefix, "", func(_ string, td *ecs.TaskDefinition) error {
			if td.Status == status {
				all = append(all, tdEntry{family: td.Family, revision: int(ecs.Int32Value(td.Revision)), arn: td.TaskDefinitionArn})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, compareTD)
	if desc {
		slices.Reverse(all)
	}
	out := &ecs.ListTaskDefinitionsResponse{TaskDefinitionArns: []string{}}
	for _, e := range all {
		if after != "" {
			c := compareTD(e, from)
			if c == 0 || (c < 0) != desc {
				continue
			}
		}
		if !pg.add(state.TaskDefKey(e.family, e.revision)) {
			break
		}
		out.TaskDefinitionArns = append(out.TaskDefinitionArns, e.arn)
	}
	out.NextToken = pg.token()
	return out, nil
}

// listTaskDefinitionFamilies lists family names in order. ACTIVE (the
// default) lists families with an ACTIVE revision, INACTIVE those
// without one, ALL every family.
func (a *API) listTaskDefinitionFamilies(ctx context.Context, req *ecs.ListTaskDefinitionFamiliesRequest) (*ecs.ListTaskDefinitionFamiliesResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, defaultTaskDefPage, maxTaskDefPage)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	err = a.view(ctx, func(tx state.Tx) error {
		return tx.TaskDefinitions(req.FamilyPrefix, "", func(_ string, td *ecs.TaskDefinition) error {
			if strings.HasPrefix(td.Family, req.FamilyPrefix) {
				active[td.Family] = active[td.Family] || td.Status == ecs.TaskDefinitionStatusActive
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	status := cmp.Or(req.Status, ecs.TaskDefinitionFamilyStatusActive)
	var families []string
	for f, act := range active {
		switch {
		case status == ecs.TaskDefinitionFamilyStatusAll,
			status == ecs.TaskDefinitionFamilyStatusActive && act,
			status == ecs.TaskDefinitionFamilyStatusInactive && !act:
			families = append(families, f)
		}
	}
	slices.Sort(families)
	out := &ecs.ListTaskDefinitionFamiliesResponse{Families: []string{}}
	for _, f := range families {
		if f <= after {
			continue
		}
		if !pg.add(f) {
			break
		}
		out.Families = append(out.Families, f)
	}
	out.NextToken = pg.token()
	return out, nil
}
