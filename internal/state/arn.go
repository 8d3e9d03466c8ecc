package state

import (
	"fmt"
	"strconv"
	"strings"
)

// ARNs builds Amazon Resource Names for one region and account.
type ARNs struct {
	Region  string
	Account string
}

func (a ARNs) arn(resource string) string {
	return "arn:aws:ecs:" + a.Region + ":" + a.Account + ":" + resource
}

// Cluster returns a cluster's ARN.
func (a ARNs) Cluster(name string) string { return a.arn("cluster/" + name) }

// Service returns a service's ARN.
func (a ARNs) Service(cluster, name string) string {
	return a.arn("service/" + cluster + "/" + name)
}

// TaskDefinition returns a task definition's ARN.
func (a ARNs) TaskDefinition(family string, revision int) string {
	return a.arn("task-definition/" + family + ":" + strconv.Itoa(revision))
}

// Task returns a task's ARN.
func (a ARNs) Task(cluster, id string) string { return a.arn("task/" + cluster + "/" + id) }

// Container returns a container's ARN.
func (a ARNs) Container(cluster, taskID, id string) string {
	return a.arn("container/" + cluster + "/" + taskID + "/" + id)
}

// ServiceDeployment returns a service deployment's ARN.
func (a ARNs) ServiceDeployment(cluster, service, id string) string {
	return a.arn("service-deployment/" + cluster + "/" + service + "/" + id)
}

// ServiceRevision returns a service revision's ARN.
func (a ARNs) ServiceRevision(cluster, service string, n uint64) string {
	return a.arn("service-revision/" + cluster + "/" + service + "/" + strconv.FormatUint(n, 10))
}

// ARN is a parsed ECS ARN: its resource type and the parts of its
// resource ID (split at "/").
type ARN struct {
	Region, Account string
	Type            string
	Parts           []string
}

// ParseARN parses an ECS ARN such as
// arn:aws:ecs:us-east-1:000000000000:service/cluster/name.
func ParseARN(s string) (ARN, error) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "ecs" {
		return ARN{}, fmt.Errorf("%q is not an ECS ARN", s)
	}
	typ, rest, ok := strings.Cut(f[5], "/")
	if !ok || typ == "" || rest == "" {
		return ARN{}, fmt.Errorf("%q is not an ECS ARN: no resource", s)
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return ARN{}, fmt.Errorf("%q is not an ECS ARN: empty resource part", s)
		}
	}
	return ARN{Region: f[3], Account: f[4], Type: typ, Parts: parts}, nil
}

// IsARN reports whether s looks like an ARN rather than a plain name.
func IsARN(s string) bool { return strings.HasPrefix(s, "arn:") }

// LastPart returns what follows the last "/" of an ARN, or s itself when
// it has none: a name given either as a name or as an ARN.
func LastPart(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
