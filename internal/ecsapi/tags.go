package ecsapi

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Tag limits, as ECS documents them.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	reservedPrefix = "aws:"
)

// tagCharsRE is the model's pattern for tag keys and values.
var tagCharsRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// errResourceNotFound answers TagResource and UntagResource for a
// resource that does not exist; ListTagsForResource, whose model has no
// ResourceNotFoundException, answers errTaggedNotFound.
var (
	errResourceNotFound = apiErr("ResourceNotFoundException", "The specified resource could not be found.")
	errTaggedNotFound   = invalidParam("The specified resource could not be found.")
)

// validateTags checks tags a user gives: at most 50, keys of 1–128 and
// values of up to 256 characters from the allowed set, unique keys, and
// no key or value starting with the reserved "aws:" (in any case).
func validateTags(tags []ecs.Tag) error {
	if len(tags) > maxTags {
		return invalidParam("A resource can have at most %d tags.", maxTags)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if err := validateTagKey(t.Key); err != nil {
			return err
		}
		if utf8.RuneCountInString(t.Value) > maxTagValueLen || !tagCharsRE.MatchString(t.Value) {
			return invalidParam("The value of tag %q must have at most %d letters, numbers, spaces or the characters _.:/=+-@.", truncateRef(t.Key), maxTagValueLen)
		}
		if hasReservedPrefix(t.Value) {
			return invalidParam("The value of tag %q uses the reserved prefix aws:.", t.Key)
		}
		if seen[t.Key] {
			return invalidParam("Tag key %q is given more than once.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// validateClusterTags checks the tags a cluster is given: as any
// resource's, and the runtime tag must name a runtime cutover has.
func validateClusterTags(tags []ecs.Tag) error {
	if err := validateTags(tags); err != nil {
		return err
	}
	for _, t := range tags {
		if t.Key == state.RuntimeTag && !state.KnownRuntime(t.Value) {
			return invalidParam("The value of tag %q must be one of %s, not %q.", state.RuntimeTag, state.RuntimeNames(), truncateRef(t.Value))
		}
	}
	return nil
}

// validateTagKey checks one tag key.
func validateTagKey(k string) error {
	if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLen || !tagCharsRE.MatchString(k) {
		return invalidParam("Tag key %q is invalid: it must have 1 to %d letters, numbers, spaces or the characters _.:/=+-@.", truncateRef(k), maxTagKeyLen)
	}
	if hasReservedPrefix(k) {
		return invalidParam("Tag key %q uses the reserved prefix aws:.", k)
	}
	return nil
}

// hasReservedPrefix reports whether s starts with aws: in any case.
func hasReservedPrefix(s string) bool {
	return len(s) >= len(reservedPrefix) && strings.EqualFold(s[:len(reservedPrefix)], reservedPrefix)
}

// taggedResource returns the ARN under which the tags of the resource arn
// names are kept: a cluster, task definition, service or task that
// exists. A missing or inactive cluster (also as the cluster of a service
// or task) is ClusterNotFoundException; another missing resource is
// notFound; a malformed ARN or another resource type is
// InvalidParameterException.
func (a *API) taggedResource(tx state.Tx, arn string, notFound error) (string, error) {
	p, err := state.ParseARN(arn)
	if err != nil {
		return "", invalidParam("Invalid resource ARN %q.", truncateRef(arn))
	}
	if !a.ownARN(arn) {
		return "", notFound
	}
	switch {
	case p.Type == "cluster" && len(p.Parts) == 1:
		c, err := activeCluster(tx, p.Parts[0])
		if err != nil {
			return "", err
		}
		return c.ClusterArn, nil
	case p.Type == "task-definition" && len(p.Parts) == 1:
		family, rev, err := state.ParseTaskDefinitionRef(p.Parts[0])
		if err != nil || rev == 0 {
			return "", invalidParam("Invalid task definition ARN %q: it must name a revision.", truncateRef(arn))
		}
		td, err := tx.TaskDefinition(family, rev)
		if errors.Is(err, store.ErrNotFound) {
			return "", notFound
		}
		if err != nil {
			return "", err
		}
		return td.TaskDefinitionArn, nil
	case p.Type == "service" && len(p.Parts) == 2:
		c, err := activeCluster(tx, p.Parts[0])
		if err != nil {
			return "", err
		}
		s, err := tx.Service(c.ClusterName, p.Parts[1])
		if errors.Is(err, store.ErrNotFound) || (err == nil && s.Status == state.ServiceInactive) {
			return "", notFound
		}
		if err != nil {
			return "", err
		}
		return a.arns.Service(c.ClusterName, s.ServiceName), nil
	case p.Type == "task" && len(p.Parts) == 2:
		c, err := activeCluster(tx, p.Parts[0])
		if err != nil {
			return "", err
		}
		t, err := a.findTask(tx, c.ClusterName, arn)
		if err != nil {
			return "", err
		}
		if t == nil {
			return "", notFound
		}
		return t.TaskArn, nil
	}
	return "", invalidParam("Tags are supported on clusters, task definitions, services and tasks; %q is none of them.", truncateRef(arn))
}

// tagResource adds tags to a resource; a key it has already takes the
// new value. A cluster's new runtime tag applies to the tasks started
// from then on.
func (a *API) tagResource(ctx context.Context, req *ecs.TagResourceRequest) (*ecs.TagResourceResponse, error) {
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	err := a.update(ctx, func(tx state.Tx) error {
		arn, err := a.taggedResource(tx, req.ResourceArn, errResourceNotFound)
		if err != nil {
			return err
		}
		if p, _ := state.ParseARN(arn); p.Type == "cluster" {
			if err := validateClusterTags(req.Tags); err != nil {
				return err
			}
		}
		tags, err := tx.Tags(arn)
		if err != nil {
			return err
		}
		for _, t := range req.Tags {
			i := slices.IndexFunc(tags, func(o ecs.Tag) bool { return o.Key == t.Key })
			if i >= 0 {
				tags[i].Value = t.Value
			} else {
				tags = append(tags, t)
			}
		}
		if len(tags) > maxTags {
			return invalidParam("A resource can have at most %d tags; this request would give it %d.", maxTags, len(tags))
		}
		return tx.PutTags(arn, tags)
	})
	if err != nil {
		return nil, err
	}
	return &ecs.TagResourceResponse{}, nil
}

// untagResource removes tags by key; keys the resource does not have are
// ignored.
func (a *API) untagResource(ctx context.Context, req *ecs.UntagResourceRequest) (*ecs.UntagResourceResponse, error) {
	for _, k := range req.TagKeys {
		if err := validateTagKey(k); err != nil {
			return nil, err
		}
	}
	err := a.update(ctx, func(tx state.Tx) error {
		arn, err := a.taggedResource(tx, req.ResourceArn, errResourceNotFound)
		if err != nil {
			return err
		}
		tags, err := tx.Tags(arn)
		if err != nil {
			return err
		}
		kept := slices.DeleteFunc(tags, func(t ecs.Tag) bool { return slices.Contains(req.TagKeys, t.Key) })
		if len(kept) == len(tags) {
			return nil
		}
		return tx.PutTags(arn, kept)
	})
	if err != nil {
		return nil, err
	}
	return &ecs.UntagResourceResponse{}, nil
}

// listTagsForResource lists a resource's tags in the order they were
// added.
func (a *API) listTagsForResource(ctx context.Context, req *ecs.ListTagsForResourceRequest) (*ecs.ListTagsForResourceResponse, error) {
	out := &ecs.ListTagsForResourceResponse{Tags: []ecs.Tag{}}
	err := a.view(ctx, func(tx state.Tx) error {
		arn, err := a.taggedResource(tx, req.ResourceArn, errTaggedNotFound)
		if err != nil {
			return err
		}
		tags, err := tx.Tags(arn)
		if tags != nil {
			out.Tags = tags
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
