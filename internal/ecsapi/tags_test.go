package ecsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

func TestValidateTags(t *testing.T) {
	many := make([]ecs.Tag, 51)
	for i := range many {
		many[i] = ecs.Tag{Key: fmt.Sprint("k", i)}
	}
	tests := []struct {
		name string
		tags []ecs.Tag
		ok   bool
	}{
		{"none", nil, true},
		{"empty value", []ecs.Tag{{Key: "k"}}, true},
		{"allowed characters", []ecs.Tag{{Key: "a b_c.d:e/f=g+h-i@j", Value: "Ünïcode 42"}}, true},
		{"longest", []ecs.Tag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("ü", 256)}}, true},
		{"fifty", many[:50], true},
		{"fifty-one", many, false},
		{"empty key", []ecs.Tag{{Key: ""}}, false},
		{"key too long", []ecs.Tag{{Key: strings.Repeat("k", 129)}}, false},
		{"value too long", []ecs.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, false},
		{"reserved key", []ecs.Tag{{Key: "aws:x"}}, false},
		{"reserved key, other case", []ecs.Tag{{Key: "Aws:x"}}, false},
		{"reserved value", []ecs.Tag{{Key: "k", Value: "AWS:v"}}, false},
		{"aws without colon", []ecs.Tag{{Key: "awsome", Value: "aws"}}, true},
		{"bad character", []ecs.Tag{{Key: "k", Value: "a;b"}}, false},
		{"duplicate key", []ecs.Tag{{Key: "k"}, {Key: "k", Value: "v"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateTags(tt.tags)
			if tt.ok != (err == nil) {
				t.Fatalf("validateTags: %v, want ok=%v", err, tt.ok)
			}
			var ae *Error
			if err != nil && (!errors.As(err, &ae) || ae.Type != "InvalidParameterException") {
				t.Errorf("error %v is not InvalidParameterException", err)
			}
		})
	}
}

// tagsOf lists the tags of arn through the API.
func tagsOf(t *testing.T, h http.Handler, arn string) []ecs.Tag {
	t.Helper()
	return call[ecs.ListTagsForResourceResponse](t, h, "ListTagsForResource", ecs.ListTagsForResourceRequest{ResourceArn: arn}).Tags
}

func TestTagServicesAndTasks(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	svc, task := testARNs.Service("default", "web"), testARNs.Task("default", "t4")
	for _, arn := range []string{svc, task} {
		call[ecs.TagResourceResponse](t, api, "TagResource", ecs.TagResourceRequest{ResourceArn: arn, Tags: []ecs.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}})
		call[ecs.UntagResourceResponse](t, api, "UntagResource", ecs.UntagResourceRequest{ResourceArn: arn, TagKeys: []string{"a"}})
		if got := tagsOf(t, api, arn); !slices.Equal(got, []ecs.Tag{{Key: "b", Value: "2"}}) {
			t.Errorf("%s: tags %v", arn, got)
		}
	}
	// Task tags show in DescribeTasks with include TAGS.
	out := call[ecs.DescribeTasksResponse](t, api, "DescribeTasks", ecs.DescribeTasksRequest{Tasks: []string{task}, Include: []ecs.TaskField{ecs.TaskFieldTags}})
	if len(out.Tasks) != 1 || !slices.Equal(out.Tasks[0].Tags, []ecs.Tag{{Key: "b", Value: "2"}}) {
		t.Errorf("described task %+v", out.Tasks)
	}
	// Removing the last tag leaves none.
	call[ecs.UntagResourceResponse](t, api, "UntagResource", ecs.UntagResourceRequest{ResourceArn: task, TagKeys: []string{"b"}})
	if got := tagsOf(t, api, task); len(got) != 0 {
		t.Errorf("tags after removing all: %v", got)
	}
	// A stopped task can still be tagged.
	call[ecs.TagResourceResponse](t, api, "TagResource", ecs.TagResourceRequest{ResourceArn: testARNs.Task("default", "t3"), Tags: []ecs.Tag{{Key: "a"}}})

	// An INACTIVE service is gone.
	err := st.Update(context.Background(), func(stx store.Tx) error {
		tx := state.Tx{Tx: stx}
		s, err := tx.Service("default", "web")
		if err != nil {
			return err
		}
		s.Status = state.ServiceInactive
		return tx.PutService(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	status, typ := callErr(t, api, "TagResource", ecs.TagResourceRequest{ResourceArn: svc, Tags: []ecs.Tag{{Key: "a"}}})
	if status != http.StatusBadRequest || typ != "ResourceNotFoundException" {
		t.Errorf("tag INACTIVE service: %d %s", status, typ)
	}
	status, typ = callErr(t, api, "ListTagsForResource", ecs.ListTagsForResourceRequest{ResourceArn: svc})
	if status != http.StatusBadRequest || typ != "InvalidParameterException" {
		t.Errorf("list tags of INACTIVE service: %d %s", status, typ)
	}
}

func TestTagResourceErrors(t *testing.T) {
	api, st := newTestAPI(t)
	seedTasks(t, st, taskFixtures)
	register(t, api, "web")
	cluster := testARNs.Cluster("default")
	fifty := make([]ecs.Tag, 50)
	for i := range fifty {
		fifty[i] = ecs.Tag{Key: fmt.Sprint("k", i)}
	}
	call[ecs.TagResourceResponse](t, api, "TagResource", ecs.TagResourceRequest{ResourceArn: cluster, Tags: fifty})
	// Changing the value of an existing tag keeps the count at 50.
	call[ecs.TagResourceResponse](t, api, "TagResource", ecs.TagResourceRequest{ResourceArn: cluster, Tags: []ecs.Tag{{Key: "k0", Value: "v"}}})

	tests := []struct {
		name string
		op   string
		req  any
		typ  string
	}{
		{"51st tag", "TagResource", ecs.TagResourceRequest{ResourceArn: cluster, Tags: []ecs.Tag{{Key: "one-more"}}}, "InvalidParameterException"},
		{"other account", "TagResource", ecs.TagResourceRequest{ResourceArn: "arn:aws:ecs:us-east-1:111111111111:cluster/default", Tags: []ecs.Tag{{Key: "a"}}}, "ResourceNotFoundException"},
		{"other region", "ListTagsForResource", ecs.ListTagsForResourceRequest{ResourceArn: "arn:aws:ecs:eu-west-1:000000000000:cluster/default"}, "InvalidParameterException"},
		{"not ECS", "ListTagsForResource", ecs.ListTagsForResourceRequest{ResourceArn: "arn:aws:s3:::bucket/key"}, "InvalidParameterException"},
		{"old-style service ARN", "ListTagsForResource", ecs.ListTagsForResourceRequest{ResourceArn: "arn:aws:ecs:us-east-1:000000000000:service/web"}, "InvalidParameterException"},
		{"service of a missing cluster", "TagResource", ecs.TagResourceRequest{ResourceArn: testARNs.Service("nope", "web"), Tags: []ecs.Tag{{Key: "a"}}}, "ClusterNotFoundException"},
		{"missing task", "UntagResource", ecs.UntagResourceRequest{ResourceArn: testARNs.Task("default", "nope"), TagKeys: []string{"a"}}, "ResourceNotFoundException"},
		{"task definition with a bad revision", "TagResource", ecs.TagResourceRequest{ResourceArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:0", Tags: []ecs.Tag{{Key: "a"}}}, "InvalidParameterException"},
		{"tags missing", "TagResource", map[string]any{"resourceArn": cluster}, "InvalidParameterException"},
		{"tagKeys missing", "UntagResource", map[string]any{"resourceArn": cluster}, "InvalidParameterException"},
		{"empty tag key to remove", "UntagResource", ecs.UntagResourceRequest{ResourceArn: cluster, TagKeys: []string{""}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := callErr(t, api, tt.op, tt.req)
			if status != http.StatusBadRequest || typ != tt.typ {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.typ)
			}
		})
	}
	if got := tagsOf(t, api, cluster); len(got) != 50 || got[0] != (ecs.Tag{Key: "k0", Value: "v"}) {
		t.Errorf("cluster has %d tags, first %v", len(got), got[0])
	}
}
