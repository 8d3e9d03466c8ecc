package ecsapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// register registers a one-container task definition of family.
func register(t *testing.T, h http.Handler, family string) *ecs.TaskDefinition {
	t.Helper()
	out := call[ecs.RegisterTaskDefinitionResponse](t, h, "RegisterTaskDefinition", ecs.RegisterTaskDefinitionRequest{
		Family:               family,
		ContainerDefinitions: []ecs.ContainerDefinition{{Name: "app", Image: "busybox"}},
	})
	return out.TaskDefinition
}

func TestRegisterTaskDefinitionRevisions(t *testing.T) {
	api, _ := newTestAPI(t)
	for want := int32(1); want <= 3; want++ {
		if td := register(t, api, "web"); ecs.Int32Value(td.Revision) != want {
			t.Fatalf("revision %d, want %d", ecs.Int32Value(td.Revision), want)
		}
	}
	// Deregistering the latest revisions does not make their numbers
	// free again.
	for _, ref := range []string{"web:3", "web:2"} {
		call[ecs.DeregisterTaskDefinitionResponse](t, api, "DeregisterTaskDefinition", ecs.DeregisterTaskDefinitionRequest{TaskDefinition: ref})
	}
	td := register(t, api, "web")
	if ecs.Int32Value(td.Revision) != 4 || td.TaskDefinitionArn != testARNs.TaskDefinition("web", 4) {
		t.Errorf("after deregistering: %d %s", ecs.Int32Value(td.Revision), td.TaskDefinitionArn)
	}
	if got := register(t, api, "other"); ecs.Int32Value(got.Revision) != 1 {
		t.Errorf("another family starts at %d", ecs.Int32Value(got.Revision))
	}
}

func TestRegisterTaskDefinitionConcurrent(t *testing.T) {
	api, _ := newTestAPI(t)
	const n = 20
	revs := make(chan int32, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			status, body := serve(api, "RegisterTaskDefinition",
				[]byte(`{"family":"web","containerDefinitions":[{"name":"a","image":"i"}]}`))
			if status != http.StatusOK {
				t.Errorf("status %d: %s", status, body)
				return
			}
			var out ecs.RegisterTaskDefinitionResponse
			if err := json.Unmarshal(body, &out); err != nil {
				t.Error(err)
				return
			}
			revs <- ecs.Int32Value(out.TaskDefinition.Revision)
		})
	}
	wg.Wait()
	close(revs)
	var got []int32
	for r := range revs {
		got = append(got, r)
	}
	slices.Sort(got)
	for i, r := range got {
		if r != int32(i+1) {
			t.Fatalf("revisions %v, want 1..%d each once", got, n)
		}
	}
}

func TestRegisterTaskDefinitionDefaults(t *testing.T) {
	api, _ := newTestAPI(t)
	req := ecs.RegisterTaskDefinitionRequest{
		Family: "web",
		ContainerDefinitions: []ecs.ContainerDefinition{
			{Name: "a", Image: "i", PortMappings: []ecs.PortMapping{{ContainerPort: ecs.Int32(80)}}},
			{Name: "b", Image: "i", Essential: ecs.Bool(false), Cpu: ecs.Int32(128),
				PortMappings: []ecs.PortMapping{{ContainerPort: ecs.Int32(53), Protocol: ecs.TransportProtocolUdp}}},
		},
		RequiresCompatibilities: []ecs.Compatibility{ecs.CompatibilityEc2, ecs.CompatibilityExternal},
	}
	out := call[ecs.RegisterTaskDefinitionResponse](t, api, "RegisterTaskDefinition", req)
	td := out.TaskDefinition
	a, b := td.ContainerDefinitions[0], td.ContainerDefinitions[1]
	if !ecs.BoolValue(a.Essential) || a.Essential == nil || ecs.Int32Value(a.Cpu) != 0 || a.Cpu == nil || a.PortMappings[0].Protocol != ecs.TransportProtocolTcp {
		t.Errorf("defaults of a: %+v", a)
	}
	if b.Essential == nil || *b.Essential || ecs.Int32Value(b.Cpu) != 128 || b.PortMappings[0].Protocol != ecs.TransportProtocolUdp {
		t.Errorf("b changed: %+v", b)
	}
	if a.PortMappings[0].HostPort != nil {
		t.Errorf("hostPort filled in: %d", *a.PortMappings[0].HostPort)
	}
	if want := []ecs.Compatibility{ecs.CompatibilityEc2, ecs.CompatibilityExternal}; !slices.Equal(td.Compatibilities, want) || !slices.Equal(td.RequiresCompatibilities, want) {
		t.Errorf("compatibilities %v, requires %v", td.Compatibilities, td.RequiresCompatibilities)
	}
	if out.Tags != nil {
		t.Errorf("tags %v without tags given", out.Tags)
	}
	if !ecs.TimeValue(td.RegisteredAt).Equal(testNow) || td.Status != ecs.TaskDefinitionStatusActive || td.DeregisteredAt != nil {
		t.Errorf("registered %v status %s", td.RegisteredAt, td.Status)
	}
}

func TestRegisterTaskDefinitionLimits(t *testing.T) {
	api, _ := newTestAPI(t)
	tags := make([]ecs.Tag, 0, 50)
	for i := range 50 {
		tags = append(tags, ecs.Tag{Key: fmt.Sprint("k", i)})
	}
	call[ecs.RegisterTaskDefinitionResponse](t, api, "RegisterTaskDefinition", ecs.RegisterTaskDefinitionRequest{
		Family: strings.Repeat("f", 255), ContainerDefinitions: []ecs.ContainerDefinition{{Name: strings.Repeat("c", 255), Image: "i"}}, Tags: tags,
	})
	tests := []struct {
		name string
		req  ecs.RegisterTaskDefinitionRequest
		typ  string
	}{
		{"family too long", ecs.RegisterTaskDefinitionRequest{Family: strings.Repeat("f", 256), ContainerDefinitions: []ecs.ContainerDefinition{{Name: "a", Image: "i"}}}, "InvalidParameterException"},
		{"container name too long", ecs.RegisterTaskDefinitionRequest{Family: "f", ContainerDefinitions: []ecs.ContainerDefinition{{Name: strings.Repeat("c", 256), Image: "i"}}}, "InvalidParameterException"},
		{"no container name", ecs.RegisterTaskDefinitionRequest{Family: "f", ContainerDefinitions: []ecs.ContainerDefinition{{Image: "i"}}}, "InvalidParameterException"},
		{"too big", ecs.RegisterTaskDefinitionRequest{Family: "f", ContainerDefinitions: []ecs.ContainerDefinition{{Name: "a", Image: "i", Command: []string{strings.Repeat("x", 70000)}}}}, "ClientException"},
		{"depends on itself", ecs.RegisterTaskDefinitionRequest{Family: "f", ContainerDefinitions: []ecs.ContainerDefinition{{Name: "a", Image: "i", DependsOn: []ecs.ContainerDependency{{ContainerName: "a", Condition: ecs.ContainerConditionStart}}}}}, "ClientException"},
		{"fargate without memory", ecs.RegisterTaskDefinitionRequest{Family: "f", NetworkMode: ecs.NetworkModeAwsvpc, Cpu: "256", RequiresCompatibilities: []ecs.Compatibility{ecs.CompatibilityFargate}, ContainerDefinitions: []ecs.ContainerDefinition{{Name: "a", Image: "i"}}}, "ClientException"},
		{"hostPort out of range", ecs.RegisterTaskDefinitionRequest{Family: "f", ContainerDefinitions: []ecs.ContainerDefinition{{Name: "a", Image: "i", PortMappings: []ecs.PortMapping{{ContainerPort: ecs.Int32(80), HostPort: ecs.Int32(-1)}}}}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, typ := callErr(t, api, "RegisterTaskDefinition", tt.req)
			if status != http.StatusBadRequest || typ != tt.typ {
				t.Errorf("got %d %s, want 400 %s", status, typ, tt.typ)
			}
		})
	}
}

// listAll pages through ListTaskDefinitions two at a time.
func listAll(t *testing.T, h http.Handler, req ecs.ListTaskDefinitionsRequest) []string {
	t.Helper()
	var all []string
	req.MaxResults = ecs.Int32(2)
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("too many pages")
		}
		out := call[ecs.ListTaskDefinitionsResponse](t, h, "ListTaskDefinitions", req)
		for _, arn := range out.TaskDefinitionArns {
			family, rev, err := state.ParseTaskDefinitionRef(arn)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, fmt.Sprintf("%s:%d", family, rev))
		}
		if req.NextToken = out.NextToken; req.NextToken == "" {
			return all
		}
	}
}

func TestListTaskDefinitionsPaging(t *testing.T) {
	api, _ := newTestAPI(t)
	// Store keys sort "web-api:..." before "web:..."; the listing sorts
	// by family name.
	for _, f := range []string{"web_x", "web", "web-api", "web", "a", "web"} {
		register(t, api, f)
	}
	for i := 0; i < 8; i++ {
		register(t, api, "big")
	}
	call[ecs.DeregisterTaskDefinitionResponse](t, api, "DeregisterTaskDefinition", ecs.DeregisterTaskDefinitionRequest{TaskDefinition: "big:3"})
	asc := []string{"a:1", "big:1", "big:2", "big:4", "big:5", "big:6", "big:7", "big:8", "web:1", "web:2", "web:3", "web-api:1", "web_x:1"}
	if got := listAll(t, api, ecs.ListTaskDefinitionsRequest{}); !slices.Equal(got, asc) {
		t.Errorf("ASC %v\nwant %v", got, asc)
	}
	desc := slices.Clone(asc)
	slices.Reverse(desc)
	if got := listAll(t, api, ecs.ListTaskDefinitionsRequest{Sort: ecs.SortOrderDesc}); !slices.Equal(got, desc) {
		t.Errorf("DESC %v\nwant %v", got, desc)
	}
	if got := listAll(t, api, ecs.ListTaskDefinitionsRequest{FamilyPrefix: "big", Sort: ecs.SortOrderDesc}); !slices.Equal(got, desc[5:12]) {
		t.Errorf("big DESC %v", got)
	}
	if got := listAll(t, api, ecs.ListTaskDefinitionsRequest{Status: ecs.TaskDefinitionStatusInactive}); !slices.Equal(got, []string{"big:3"}) {
		t.Errorf("INACTIVE %v", got)
	}
	if got := listAll(t, api, ecs.ListTaskDefinitionsRequest{Status: ecs.TaskDefinitionStatusDeleteInProgress}); len(got) != 0 {
		t.Errorf("DELETE_IN_PROGRESS %v", got)
	}
	for _, token := range []string{"bm9jb2xvbg", "YTp4"} { // "nocolon", "a:x"
		status, typ := callErr(t, api, "ListTaskDefinitions", ecs.ListTaskDefinitionsRequest{NextToken: token})
		if status != http.StatusBadRequest || typ != "InvalidParameterException" {
			t.Errorf("token %s: %d %s", token, status, typ)
		}
	}

	var families []string
	req := ecs.ListTaskDefinitionFamiliesRequest{MaxResults: ecs.Int32(2), Status: ecs.TaskDefinitionFamilyStatusAll}
	for {
		out := call[ecs.ListTaskDefinitionFamiliesResponse](t, api, "ListTaskDefinitionFamilies", req)
		families = append(families, out.Families...)
		if req.NextToken = out.NextToken; req.NextToken == "" {
			break
		}
	}
	if want := []string{"a", "big", "web", "web-api", "web_x"}; !slices.Equal(families, want) {
		t.Errorf("families %v, want %v", families, want)
	}
}

func TestDescribeTaskDefinitionFamilyAlone(t *testing.T) {
	api, _ := newTestAPI(t)
	register(t, api, "web")
	register(t, api, "web")
	call[ecs.DeregisterTaskDefinitionResponse](t, api, "DeregisterTaskDefinition", ecs.DeregisterTaskDefinitionRequest{TaskDefinition: "web:2"})
	out := call[ecs.DescribeTaskDefinitionResponse](t, api, "DescribeTaskDefinition", ecs.DescribeTaskDefinitionRequest{TaskDefinition: "web"})
	if ecs.Int32Value(out.TaskDefinition.Revision) != 1 {
		t.Errorf("family alone gave revision %d, want the latest ACTIVE (1)", ecs.Int32Value(out.TaskDefinition.Revision))
	}
	// An INACTIVE revision is still described when named.
	out = call[ecs.DescribeTaskDefinitionResponse](t, api, "DescribeTaskDefinition", ecs.DescribeTaskDefinitionRequest{TaskDefinition: "web:2"})
	if out.TaskDefinition.Status != ecs.TaskDefinitionStatusInactive || !ecs.TimeValue(out.TaskDefinition.DeregisteredAt).Equal(testNow) {
		t.Errorf("web:2 %s %v", out.TaskDefinition.Status, out.TaskDefinition.DeregisteredAt)
	}
}
