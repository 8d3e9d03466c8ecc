package awsquery

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/elbv2"
)

// stamp is a timestamp written as text.
type stamp struct{ time.Time }

func (s stamp) MarshalText() ([]byte, error) { return []byte(s.UTC().Format(time.RFC3339)), nil }

type item struct {
	Name string `xml:"Name,omitempty"`
}

type output struct {
	Items   []item            `xml:"Items>member,omitempty"`
	None    []item            `xml:"None>member,omitempty"`
	Empty   []string          `xml:"Empty>member,omitempty"`
	Flat    []string          `xml:"Flat,omitempty"`
	At      *stamp            `xml:"At,omitempty"`
	Count   *int32            `xml:"Count,omitempty"`
	Ratio   float64           `xml:"Ratio"`
	On      *bool             `xml:"On,omitempty"`
	Text    string            `xml:"Text,omitempty"`
	Skipped map[string]string `xml:"-"`
}

func TestWriteResponse(t *testing.T) {
	n, on := int32(3), true
	out := &output{
		Items: []item{{Name: "a<b"}, {}}, Empty: []string{}, Flat: []string{"x", "y"},
		At: &stamp{time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}, Count: &n, Ratio: 0.5, On: &on,
		Skipped: map[string]string{"k": "v"},
	}
	w := httptest.NewRecorder()
	WriteResponse(w, "http://example.com/doc/", "Op", "OpResult", "req-1", out)
	want := `<OpResponse xmlns="http://example.com/doc/"><OpResult><Items><member><Name>a&lt;b</Name></member><member></member></Items>` +
		`<Empty></Empty><Flat>x</Flat><Flat>y</Flat><At>2026-11-24T12:00:00Z</At><Count>3</Count><Ratio>0.5</Ratio><On>true</On>` +
		`</OpResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></OpResponse>`
	if w.Code != http.StatusOK || w.Body.String() != want || w.Header().Get("Content-Type") != "text/xml" {
		t.Errorf("%d %s\nwant %s", w.Code, w.Body.String(), want)
	}
	w = httptest.NewRecorder()
	WriteResponse(w, "ns", "Op", "", "req-2", nil)
	if w.Body.String() != `<OpResponse xmlns="ns"><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></OpResponse>` {
		t.Errorf("no result: %s", w.Body.String())
	}
}

func TestWriteError(t *testing.T) {
	for _, tt := range []struct {
		status int
		typ    string
	}{{404, "Sender"}, {500, "Receiver"}} {
		w := httptest.NewRecorder()
		WriteError(w, "ns", tt.status, "ResourceNotFound", `no "x" & y`, "req")
		want := `<ErrorResponse xmlns="ns"><Error><Type>` + tt.typ + `</Type><Code>ResourceNotFound</Code>` +
			`<Message>no &#34;x&#34; &amp; y</Message></Error><RequestId>req</RequestId></ErrorResponse>`
		if w.Code != tt.status || w.Body.String() != want {
			t.Errorf("%d %s\nwant %s", w.Code, w.Body.String(), want)
		}
	}
}

// TestEncodeFields checks the XML encoder's rules: nil is absent, an
// empty list is an empty element, strings are escaped, timestamps use
// their text form.
func TestEncodeFields(t *testing.T) {
	type inner struct {
		N *int32 `xml:"N"`
	}
	v := struct {
		Absent  []string        `xml:"Absent>member,omitempty"`
		Empty   []string        `xml:"Empty>member,omitempty"`
		List    []inner         `xml:"List>member"`
		Text    string          `xml:"Text"`
		NoText  string          `xml:"NoText"`
		When    *elbv2.Time     `xml:"When"`
		Skipped map[string]bool `xml:"-"`
		Flag    *bool           `xml:"Flag"`
		unexp   string
	}{
		Empty: []string{},
		List:  []inner{{N: elbv2.Int32(7)}, {}},
		Text:  `a<b & "c"`,
		When:  elbv2.TimeOf(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)),
		Flag:  elbv2.Bool(false),
		unexp: "x",
	}
	var b bytes.Buffer
	encodeFields(&b, reflect.ValueOf(&v))
	want := `<Empty></Empty><List><member><N>7</N></member><member></member></List>` +
		`<Text>a&lt;b &amp; &#34;c&#34;</Text><When>2026-11-24T12:00:00.000Z</When><Flag>false</Flag>`
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}
