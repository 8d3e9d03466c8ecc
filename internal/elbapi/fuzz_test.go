package elbapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/awsquery"
)

// FuzzDecodeForm decodes random forms against the input shape of every
// ELBv2 operation: the decoder must never panic, and must either refuse
// the form with a ValidationError or produce JSON that the validator and
// the generated types can take.
//
//	go test ./internal/elbapi -run '^$' -fuzz FuzzDecodeForm -fuzztime 60s
func FuzzDecodeForm(f *testing.F) {
	m := awsmodel.ELBv2()
	names := m.OperationNames()
	for _, body := range goldenBodies(f) {
		params, _ := url.ParseQuery(body)
		f.Add(uint8(slices.Index(names, params.Get("Action"))), body)
	}
	f.Add(uint8(0), "Items.member.1.x.member.0=1&Tags=&Tags.member.2=x")
	f.Fuzz(func(t *testing.T, opIndex uint8, form string) {
		params, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		name := names[int(opIndex)%len(names)]
		op, _ := m.Operation(name)
		var in *awsmodel.Shape
		if op.Input != nil {
			in = op.Input.Shape
		}
		doc, err := awsquery.DecodeForm(in, params)
		if err != nil {
			if e, ok := err.(*awsquery.ParamError); !ok || e.Message == "" {
				t.Fatalf("%s %q: unexpected error %v", name, form, err)
			}
			return
		}
		if err := m.ValidateJSONInput(name, doc); err != nil {
			if _, ok := err.(*awsmodel.ValidationError); !ok {
				t.Fatalf("%s %q: decoded %s: validator error %v", name, form, doc, err)
			}
		}
	})
}

// FuzzServeHTTP sends random forms to an API that holds a load balancer,
// target groups, a listener and a rule (from the golden files): it must
// never panic, never answer 5xx, and always answer well-formed XML, an
// ErrorResponse with a code unless it is a 200.
//
//	go test ./internal/elbapi -run '^$' -fuzz FuzzServeHTTP -fuzztime 60s
func FuzzServeHTTP(f *testing.F) {
	api := newTestAPI(f, Config{})
	for _, body := range goldenBodies(f) {
		f.Add(body)
		post(api, body) // gives the API some state
	}
	f.Fuzz(func(t *testing.T, form string) {
		status, body := post(api, form)
		if status >= http.StatusInternalServerError {
			t.Fatalf("%q: status %d: %s", form, status, body)
		}
		root, err := parseXML([]byte(body))
		if err != nil {
			t.Fatalf("%q: answer is not XML: %v: %s", form, err, body)
		}
		if status != http.StatusOK && (root.name != "ErrorResponse" || !strings.Contains(body, "<Code>")) {
			t.Fatalf("%q: status %d without an error code: %s", form, status, body)
		}
	})
}
