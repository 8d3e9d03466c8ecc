package elbapi

import (
	"context"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
)

// checkTags validates the tags of a create or AddTags request: keys are
// unique, at most maxTagsPerResource, and not in the reserved aws:
// namespace.
func checkTags(tags []elbv2.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t.Key] {
			return apiErr(errDuplicateTagKeys, "The tag key '%s' is given more than once.", t.Key)
		}
		seen[t.Key] = true
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return validation("The tag key '%s' is not valid: the aws: prefix is reserved.", t.Key)
		}
	}
	if len(tags) > maxTagsPerResource {
		return apiErr(errTooManyTags, "A resource can have at most %d tags.", maxTagsPerResource)
	}
	return nil
}

// tagged is a resource's tags and how to store them back.
type tagged struct {
	tags []elbv2.Tag
	save func([]elbv2.Tag) error
}

// resourceTags finds the resource an ARN names, of any taggable type.
func (a *API) resourceTags(tx state.Tx, arn string) (tagged, error) {
	p, err := state.ParseELBARN(arn)
	if err != nil {
		return tagged{}, validation("'%s' is not a valid load balancer, target group, listener or rule ARN.", arn)
	}
	switch p.Type {
	case state.ELBLoadBalancer:
		l, err := loadBalancer(tx, arn)
		if err != nil {
			return tagged{}, err
		}
		return tagged{l.Tags, func(t []elbv2.Tag) error { l.Tags = t; return tx.PutLoadBalancer(l) }}, nil
	case state.ELBTargetGroup:
		g, err := targetGroup(tx, arn)
		if err != nil {
			return tagged{}, err
		}
		return tagged{g.Tags, func(t []elbv2.Tag) error { g.Tags = t; return tx.PutTargetGroup(g) }}, nil
	case state.ELBListener:
		l, err := listener(tx, arn)
		if err != nil {
			return tagged{}, err
		}
		return tagged{l.Tags, func(t []elbv2.Tag) error { l.Tags = t; return tx.PutListener(l) }}, nil
	default:
		r, err := a.findRule(tx, arn)
		if err != nil {
			return tagged{}, err
		}
		if r.isDefault() {
			l := r.Listener
			return tagged{l.DefaultRuleTags, func(t []elbv2.Tag) error { l.DefaultRuleTags = t; return tx.PutListener(l) }}, nil
		}
		return tagged{r.Rule.Tags, func(t []elbv2.Tag) error { r.Rule.Tags = t; return tx.PutRule(r.Rule) }}, nil
	}
}

// checkResourceCount bounds the ResourceArns of a tag request.
func checkResourceCount(arns []string) error {
	if len(arns) == 0 || len(arns) > maxResourcesPerCall {
		return validation("Between 1 and %d resource ARNs must be specified.", maxResourcesPerCall)
	}
	return nil
}

// addTags adds tags to resources, replacing the values of keys they
// already have.
func (a *API) addTags(ctx context.Context, req *elbv2.AddTagsInput) (*elbv2.AddTagsOutput, error) {
	if err := checkResourceCount(req.ResourceArns); err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	err := a.update(ctx, func(tx state.Tx) error {
		for _, arn := range req.ResourceArns {
			res, err := a.resourceTags(tx, arn)
			if err != nil {
				return err
			}
			tags := slices.Clone(res.tags)
			for _, t := range req.Tags {
				if i := slices.IndexFunc(tags, func(o elbv2.Tag) bool { return o.Key == t.Key }); i >= 0 {
					tags[i].Value = t.Value
				} else {
					tags = append(tags, t)
				}
			}
			if len(tags) > maxTagsPerResource {
				return apiErr(errTooManyTags, "Resource '%s' would have %d tags; the limit is %d.", arn, len(tags), maxTagsPerResource)
			}
			if err := res.save(tags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.AddTagsOutput{}, nil
}

// removeTags removes tag keys from resources; keys they lack are ignored.
func (a *API) removeTags(ctx context.Context, req *elbv2.RemoveTagsInput) (*elbv2.RemoveTagsOutput, error) {
	if err := checkResourceCount(req.ResourceArns); err != nil {
		return nil, err
	}
	err := a.update(ctx, func(tx state.Tx) error {
		for _, arn := range req.ResourceArns {
			res, err := a.resourceTags(tx, arn)
			if err != nil {
				return err
			}
			tags := slices.DeleteFunc(slices.Clone(res.tags), func(t elbv2.Tag) bool { return slices.Contains(req.TagKeys, t.Key) })
			if err := res.save(tags); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.RemoveTagsOutput{}, nil
}

// describeTags returns the tags of each resource, in the order asked.
func (a *API) describeTags(ctx context.Context, req *elbv2.DescribeTagsInput) (*elbv2.DescribeTagsOutput, error) {
	if err := checkResourceCount(req.ResourceArns); err != nil {
		return nil, err
	}
	out := &elbv2.DescribeTagsOutput{TagDescriptions: []elbv2.TagDescription{}}
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.ResourceArns {
			res, err := a.resourceTags(tx, arn)
			if err != nil {
				return err
			}
			tags := slices.Clone(res.tags)
			if tags == nil {
				tags = []elbv2.Tag{}
			}
			out.TagDescriptions = append(out.TagDescriptions, elbv2.TagDescription{ResourceArn: arn, Tags: tags})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
