package state

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store"
)

// ParseTaskDefinitionRef splits a task definition reference, given as
// "family", "family:revision" or a task definition ARN, into its family
// and revision (0 when none is given).
func ParseTaskDefinitionRef(ref string) (family string, revision int, err error) {
	s := ref
	if IsARN(ref) {
		a, err := ParseARN(ref)
		if err != nil || a.Type != "task-definition" || len(a.Parts) != 1 {
			return "", 0, fmt.Errorf("%q is not a task definition ARN", ref)
		}
		s = a.Parts[0]
		if !strings.Contains(s, ":") {
			return "", 0, fmt.Errorf("task definition ARN %q has no revision", ref)
		}
	}
	family, rev, hasRev := strings.Cut(s, ":")
	if family == "" {
		return "", 0, fmt.Errorf("task definition %q has no family", ref)
	}
	if !hasRev {
		return family, 0, nil
	}
	revision, err = strconv.Atoi(rev)
	if err != nil || revision < 1 {
		return "", 0, fmt.Errorf("task definition %q has an invalid revision", ref)
	}
	return family, revision, nil
}

// ResolveTaskDefinition returns the task definition a reference names;
// a family alone means its latest ACTIVE revision. Missing ones give an
// error wrapping store.ErrNotFound.
func (t Tx) ResolveTaskDefinition(ref string) (*ecs.TaskDefinition, error) {
	family, rev, err := ParseTaskDefinitionRef(ref)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, store.ErrNotFound)
	}
	if rev == 0 {
		return t.LatestTaskDefinition(family, true)
	}
	return t.TaskDefinition(family, rev)
}
