package elbv2

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/awsmodel"
)

func TestTimeText(t *testing.T) {
	tm := TimeOf(time.Date(2026, 11, 24, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)))
	b, err := tm.MarshalText()
	if err != nil || string(b) != "2026-11-24T12:00:00.123Z" {
		t.Fatalf("MarshalText = %s, %v", b, err)
	}
	var back Time
	if err := back.UnmarshalText(b); err != nil || !back.Equal(tm.Time) || back.Location() != time.UTC {
		t.Errorf("UnmarshalText(%s) = %v, %v", b, back, err)
	}
	if err := back.UnmarshalText([]byte("yesterday")); err == nil {
		t.Error("UnmarshalText accepted a non-timestamp")
	}
}

func TestTimeJSON(t *testing.T) {
	lb := LoadBalancer{LoadBalancerName: "web", CreatedTime: TimeOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	b, err := json.Marshal(lb)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"CreatedTime":"2026-01-02T03:04:05.000Z","LoadBalancerName":"web"}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back LoadBalancer
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, lb) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	var null struct{ T *Time }
	if err := json.Unmarshal([]byte(`{"T":null}`), &null); err != nil || null.T != nil {
		t.Errorf("null: %+v, %v", null, err)
	}
	var bad Time
	if err := json.Unmarshal([]byte(`12`), &bad); err == nil {
		t.Error("a number was accepted")
	}
}

// TestXMLTags checks the query-protocol layout of the generated tags.
func TestXMLTags(t *testing.T) {
	tests := []struct {
		typ   any
		field string
		want  string
	}{
		{DescribeTargetGroupsOutput{}, "TargetGroups", "TargetGroups>member,omitempty"},
		{Rule{}, "Priority", "Priority,omitempty"},
		{CreateRuleInput{}, "Conditions", "Conditions>member,omitempty"},
		{AuthenticateOidcActionConfig{}, "AuthenticationRequestExtraParams", "-"},
	}
	for _, tt := range tests {
		f, ok := reflect.TypeOf(tt.typ).FieldByName(tt.field)
		if !ok {
			t.Errorf("%T has no field %s", tt.typ, tt.field)
			continue
		}
		if got := f.Tag.Get("xml"); got != tt.want {
			t.Errorf("%T.%s xml tag = %q, want %q", tt.typ, tt.field, got, tt.want)
		}
	}
}

// TestInputsDecode checks that a request the model accepts decodes into
// the generated input type.
func TestInputsDecode(t *testing.T) {
	body := `{"ListenerArn":"l","Priority":10,"Conditions":[{"Field":"path-pattern",
		"PathPatternConfig":{"Values":["/api/*"]}}],"Actions":[{"Type":"forward","ForwardConfig":
		{"TargetGroups":[{"TargetGroupArn":"a","Weight":90},{"TargetGroupArn":"b","Weight":10}]}}]}`
	if err := awsmodel.ELBv2().ValidateJSONInput("CreateRule", []byte(body)); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var in CreateRuleInput
	if err := dec.Decode(&in); err != nil {
		t.Fatal(err)
	}
	if Int32Value(in.Priority) != 10 || in.Actions[0].ForwardConfig.TargetGroups[1].TargetGroupArn != "b" ||
		Int32Value(in.Actions[0].ForwardConfig.TargetGroups[0].Weight) != 90 || in.Conditions[0].PathPatternConfig.Values[0] != "/api/*" {
		t.Errorf("decoded %+v", in)
	}
}

func TestHelpers(t *testing.T) {
	if Int32Value(nil) != 0 || Int32Value(Int32(3)) != 3 || BoolValue(nil) || !BoolValue(Bool(true)) {
		t.Error("pointer helpers")
	}
}
