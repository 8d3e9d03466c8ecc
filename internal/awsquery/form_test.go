package awsquery

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/awsmodel"
)

// testShapes is a small model with every kind of shape the decoder meets.
const testShapes = `{
  "metadata": {"protocol": "query"},
  "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
  "shapes": {
    "In": {"type": "structure", "members": {
      "Name": {"shape": "S"}, "Count": {"shape": "I"}, "Big": {"shape": "L"},
      "Ratio": {"shape": "D"}, "On": {"shape": "B"}, "At": {"shape": "T"},
      "Items": {"shape": "Items"}, "Nested": {"shape": "Nested"},
      "Labels": {"shape": "Labels"}, "Named": {"shape": "Named"},
      "Renamed": {"shape": "S", "locationName": "Alias"}
    }},
    "Nested": {"type": "structure", "members": {"Inner": {"shape": "Inner"}, "Tags": {"shape": "Items"}}},
    "Inner": {"type": "structure", "members": {"Values": {"shape": "Strings"}, "Weight": {"shape": "I"}}},
    "Items": {"type": "list", "member": {"shape": "Item"}},
    "Item": {"type": "structure", "members": {"Key": {"shape": "S"}, "Value": {"shape": "S"}}},
    "Strings": {"type": "list", "member": {"shape": "S"}},
    "Named": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
    "Labels": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
    "S": {"type": "string"}, "I": {"type": "integer"}, "L": {"type": "long"},
    "D": {"type": "double"}, "B": {"type": "boolean"}, "T": {"type": "timestamp"}
  }
}`

func testInputShape(tb testing.TB) *awsmodel.Shape {
	tb.Helper()
	m, err := awsmodel.Parse([]byte(testShapes))
	if err != nil {
		tb.Fatal(err)
	}
	return m.Shapes["In"]
}

func TestDecodeForm(t *testing.T) {
	in := testInputShape(t)
	tests := []struct {
		name string
		form string
		want string // JSON, when the form decodes
		err  string // a substring of the ParamError message, when it does not
	}{
		{name: "empty", form: "Action=Op&Version=1", want: `{}`},
		{name: "scalars typed by shape",
			form: "Name=web&Count=007&Big=-12&Ratio=0.5&On=true&At=2026-01-02T03:04:05Z",
			want: `{"Name":"web","Count":7,"Big":-12,"Ratio":0.5,"On":true,"At":"2026-01-02T03:04:05Z"}`},
		{name: "zero and minus zero", form: "Count=-0&Big=0000", want: `{"Count":0,"Big":0}`},
		{name: "strings stay strings", form: "Name=123", want: `{"Name":"123"}`},
		{name: "type errors are left to the validator", form: "Count=abc&On=yes&Ratio=NaN",
			want: `{"Count":"abc","On":"yes","Ratio":"NaN"}`},
		{name: "list of structures",
			form: "Items.member.2.Key=b&Items.member.1.Key=a&Items.member.1.Value=x",
			want: `{"Items":[{"Key":"a","Value":"x"},{"Key":"b"}]}`},
		{name: "nested lists and structures",
			form: "Nested.Inner.Values.member.1=/api/*&Nested.Inner.Values.member.2=/v2/*&Nested.Inner.Weight=10&Nested.Tags.member.1.Key=k",
			want: `{"Nested":{"Inner":{"Values":["/api/*","/v2/*"],"Weight":10},"Tags":[{"Key":"k"}]}}`},
		{name: "ten elements sort numerically",
			form: "Items.member.10.Key=j&Items.member.1.Key=a&Items.member.2.Key=b&Items.member.3.Key=c&Items.member.4.Key=d" +
				"&Items.member.5.Key=e&Items.member.6.Key=f&Items.member.7.Key=g&Items.member.8.Key=h&Items.member.9.Key=i",
			want: `{"Items":[{"Key":"a"},{"Key":"b"},{"Key":"c"},{"Key":"d"},{"Key":"e"},{"Key":"f"},{"Key":"g"},{"Key":"h"},{"Key":"i"},{"Key":"j"}]}`},
		{name: "empty list as botocore sends it", form: "Items=", want: `{"Items":[]}`},
		{name: "empty structure", form: "Nested=", want: `{"Nested":{}}`},
		{name: "list element location name", form: "Named.item.1=a", want: `{"Named":["a"]}`},
		{name: "member location name", form: "Alias=x&Renamed=y", want: `{"Alias":"x"}`},
		{name: "map", form: "Labels.entry.1.key=a&Labels.entry.1.value=1&Labels.entry.2.key=b",
			want: `{"Labels":{"a":"1","b":null}}`},
		{name: "unknown keys ignored, as unknown JSON members", form: "Foo=1&Nested.Bar.Baz=2&Name=x", want: `{"Name":"x","Nested":{}}`},
		{name: "value for a list passed to the validator", form: "Items=x", want: `{"Items":"x"}`},

		{name: "index zero", form: "Items.member.0.Key=a", err: `Items.member.0 has an invalid list index "0"`},
		{name: "leading zero index", form: "Items.member.01.Key=a", err: `invalid list index "01"`},
		{name: "negative index", form: "Items.member.-1.Key=a", err: `invalid list index "-1"`},
		{name: "huge index", form: "Items.member.1001.Key=a", err: `invalid list index "1001"`},
		{name: "gap", form: "Items.member.1.Key=a&Items.member.3.Key=c", err: "Items.member.2 is missing"},
		{name: "no element name", form: "Items.1.Key=a", err: "Items.1 is not valid: the elements of Items are Items.member.N"},
		{name: "no index", form: "Items.member=a", err: "Items.member needs an index"},
		{name: "member under a scalar", form: "Count.x=1", err: "Count.x is not valid: Count takes a value"},
		{name: "member under a list element string", form: "Nested.Inner.Values.member.1.x=1", err: "Nested.Inner.Values.member.1.x is not valid"},
		{name: "value beside members", form: "Nested=x&Nested.Inner.Weight=1", err: "Nested cannot have both a value and members"},
		{name: "key twice", form: "Name=a&Name=b", err: "Name is given more than once"},
		{name: "map without key", form: "Labels.entry.1.value=1", err: "Labels.entry.1.key is missing"},
		{name: "map key twice", form: "Labels.entry.1.key=a&Labels.entry.2.key=a", err: `repeats the key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := url.ParseQuery(tt.form)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeForm(in, params)
			if tt.err != "" {
				var e *ParamError
				if !errors.As(err, &e) || !strings.Contains(e.Message, tt.err) {
					t.Fatalf("DecodeForm(%q) = %s, %v; want a ParamError containing %q", tt.form, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeForm(%q): %v", tt.form, err)
			}
			var gotV, wantV any
			if err := json.Unmarshal(got, &gotV); err != nil {
				t.Fatalf("DecodeForm(%q) = %s: not JSON: %v", tt.form, got, err)
			}
			if err := json.Unmarshal([]byte(tt.want), &wantV); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotV, wantV) {
				t.Errorf("DecodeForm(%q) = %s, want %s", tt.form, got, tt.want)
			}
		})
	}
}

func TestDecodeFormNoInput(t *testing.T) {
	got, err := DecodeForm(nil, url.Values{"Anything": {"1"}})
	if err != nil || string(got) != "{}" {
		t.Errorf("DecodeForm(nil) = %s, %v; want {}", got, err)
	}
}

// TestDecodeFormELBv2 decodes the nested forms of the brief against the
// real model and checks that the result passes the validator.
func TestDecodeFormELBv2(t *testing.T) {
	m := awsmodel.ELBv2()
	forms := map[string]string{
		"CreateListener": "LoadBalancerArn=a&Port=80&DefaultActions.member.1.Type=forward" +
			"&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=x" +
			"&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=y" +
			"&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=10",
		"CreateRule": "ListenerArn=l&Priority=1&Conditions.member.1.Field=path-pattern" +
			"&Conditions.member.1.PathPatternConfig.Values.member.1=/api/*&Actions.member.1.Type=forward" +
			"&Tags.member.1.Key=k",
	}
	for op, form := range forms {
		o, err := m.Operation(op)
		if err != nil {
			t.Fatal(err)
		}
		params, _ := url.ParseQuery(form)
		doc, err := DecodeForm(o.Input.Shape, params)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if err := m.ValidateJSONInput(op, doc); err != nil {
			t.Errorf("%s: %s: %v", op, doc, err)
		}
	}
}

func TestIntLiteral(t *testing.T) {
	tests := map[string]string{"0": "0", "007": "7", "-0": "0", "-012": "-12", "": "!", "-": "!", "+1": "!", "1e3": "!", "1.0": "!"}
	for in, want := range tests {
		got, ok := intLiteral(in)
		if !ok {
			got = "!"
		}
		if got != want {
			t.Errorf("intLiteral(%q) = %q, want %q", in, got, want)
		}
	}
}
