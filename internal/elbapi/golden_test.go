package elbapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// updateGolden rewrites the golden files from the actual responses:
// go test ./internal/elbapi -run TestGolden -update
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.json from the actual responses")

// arnPrefix abbreviates the ARNs of the test region and account in golden
// files, in requests and responses alike.
const arnPrefix = "arn:aws:elasticloadbalancing:us-east-1:000000000000:"

// goldenStep is one request of a golden file and the answer expected.
// The body is Action=<action>&Version=2015-12-01 followed by params
// ("Key=value", the value sent URL-encoded), or rawBody as is when set.
// "{arn}" in params stands for arnPrefix. Response is the XML answer,
// indented one element per line, request IDs masked and arnPrefix
// abbreviated.
type goldenStep struct {
	Comment  string   `json:"comment,omitempty"`
	Action   string   `json:"action,omitempty"`
	Params   []string `json:"params,omitempty"`
	RawBody  *string  `json:"rawBody,omitempty"`
	Status   int      `json:"status"`
	Response []string `json:"response"`
}

// body is the form the step sends.
func (s goldenStep) body() string {
	if s.RawBody != nil {
		return *s.RawBody
	}
	parts := []string{"Action=" + url.QueryEscape(s.Action), "Version=" + APIVersion}
	for _, p := range s.Params {
		k, v, _ := strings.Cut(strings.ReplaceAll(p, "{arn}", arnPrefix), "=")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// uuidRE matches the request IDs, which are random.
var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// xmlNode is an element of a parsed answer.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	text     string
	children []*xmlNode
}

// parseXML parses one XML document into its root element, checking that
// it is well formed.
func parseXML(b []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: tok.Name.Local, attrs: tok.Attr}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			} else if root != nil {
				return nil, errors.New("more than one root element")
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// indentXML renders an answer one element per line, indented by two
// spaces, with request IDs masked and arnPrefix abbreviated.
func indentXML(tb testing.TB, b []byte) []string {
	tb.Helper()
	root, err := parseXML(b)
	if err != nil {
		tb.Fatalf("answer is not XML: %v\n%s", err, b)
	}
	var lines []string
	var walk func(n *xmlNode, depth int)
	walk = func(n *xmlNode, depth int) {
		pad := strings.Repeat("  ", depth)
		open := "<" + n.name
		for _, a := range n.attrs {
			open += " " + a.Name.Local + `="` + a.Value + `"`
		}
		open += ">"
		if len(n.children) == 0 {
			text := uuidRE.ReplaceAllString(n.text, "<uuid>")
			text = strings.ReplaceAll(text, arnPrefix, "{arn}")
			lines = append(lines, pad+open+text+"</"+n.name+">")
			return
		}
		lines = append(lines, pad+open)
		for _, c := range n.children {
			walk(c, depth+1)
		}
		lines = append(lines, pad+"</"+n.name+">")
	}
	walk(root, 0)
	return lines
}

// TestGolden runs each testdata/golden/*.json file, a JSON array of
// steps, in order against a fresh API and compares every status and
// answer with the file's.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	steps := readGolden(t, file)
	api := newTestAPI(t, Config{Certificates: []string{goldenCertificateARN}})
	for i := range steps {
		s := &steps[i]
		status, body := post(api, s.body())
		got := indentXML(t, []byte(body))
		if *updateGolden {
			s.Status, s.Response = status, got
			continue
		}
		if status != s.Status || !slices.Equal(got, s.Response) {
			t.Errorf("step %d (%s %s): got status %d\n%s\nwant status %d\n%s", i, s.Action, s.Comment,
				status, strings.Join(got, "\n"), s.Status, strings.Join(s.Response, "\n"))
		}
	}
	if *updateGolden {
		writeGolden(t, file, steps)
	}
}

func readGolden(tb testing.TB, file string) []goldenStep {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	var steps []goldenStep
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&steps); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	return steps
}

// writeGolden rewrites a golden file through a temporary file.
func writeGolden(t *testing.T, file string, steps []goldenStep) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(steps); err != nil {
		t.Fatal(err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// goldenBodies returns the body of every golden step, to seed fuzzers.
func goldenBodies(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var bodies []string
	for _, f := range files {
		for _, s := range readGolden(tb, f) {
			bodies = append(bodies, s.body())
		}
	}
	return bodies
}
