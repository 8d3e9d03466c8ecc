package awsquery

import (
	"errors"
	"net/url"
	"testing"

	"github.com/cutover/cutover/internal/awsmodel"
)

// FuzzDecodeForm decodes random forms against the input shape of every
// CloudWatch operation: the decoder must never panic, and must either
// refuse the form with a ParamError or produce JSON that the validator
// takes or refuses with a ValidationError.
//
//	go test ./internal/awsquery -run '^$' -fuzz FuzzDecodeForm -fuzztime 60s
func FuzzDecodeForm(f *testing.F) {
	m := awsmodel.CloudWatch()
	names := m.OperationNames()
	f.Add(uint8(0), "AlarmNames.member.1=a&AlarmNames.member.2=b")
	f.Add(uint8(1), "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=x&StartTime=2026-11-24T12:00:00Z")
	f.Add(uint8(2), "Tags.member.1.Key=k&Tags.member.1.Value=v&Threshold=1.5&Period=60&ActionsEnabled=true")
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
		doc, err := DecodeForm(in, params)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("%s %q: unexpected error %v", name, form, err)
			}
			return
		}
		if err := m.ValidateJSONInput(name, doc); err != nil {
			var ve *awsmodel.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s %q: decoded %s: validator error %v", name, form, doc, err)
			}
		}
	})
}
