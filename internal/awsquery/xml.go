package awsquery

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// textMarshaler is the type of encoding.TextMarshaler, which timestamps
// implement.
var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// WriteResponse writes a successful answer of operation op in the XML
// namespace ns: <OpResponse xmlns=ns><OpResult>…</OpResult>
// <ResponseMetadata>… result is the result element's name (the model's
// resultWrapper; "" for none) and resp the operation's output, a pointer
// to a generated struct whose xml tags give the layout (see
// encodeFields).
func WriteResponse(w http.ResponseWriter, ns, op, result, reqID string, resp any) {
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response xmlns="`)
	escape(&b, ns)
	b.WriteString(`">`)
	if result != "" {
		b.WriteString("<" + result + ">")
		encodeFields(&b, reflect.ValueOf(resp))
		b.WriteString("</" + result + ">")
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	escape(&b, reqID)
	b.WriteString("</RequestId></ResponseMetadata></" + op + "Response>")
	writeXML(w, http.StatusOK, b.Bytes())
}

// WriteError writes an error answer with HTTP status status:
// <ErrorResponse xmlns=ns><Error><Type>Sender</Type><Code>code</Code>
// <Message>…; the type is Receiver for 5xx statuses.
func WriteError(w http.ResponseWriter, ns string, status int, code, message, reqID string) {
	typ := "Sender"
	if status >= http.StatusInternalServerError {
		typ = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="`)
	escape(&b, ns)
	b.WriteString(`"><Error><Type>` + typ + `</Type><Code>`)
	escape(&b, code)
	b.WriteString("</Code><Message>")
	escape(&b, message)
	b.WriteString("</Message></Error><RequestId>")
	escape(&b, reqID)
	b.WriteString("</RequestId></ErrorResponse>")
	writeXML(w, status, b.Bytes())
}

// writeXML sends an XML body.
func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// escape writes s as XML character data.
func escape(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s)) // writing to a bytes.Buffer cannot fail
}

// encodeFields writes the fields of struct v (or of the struct v points
// to) as child elements, following their xml tags: "Name" is an element,
// "Name>member" a list wrapped in <Name> with one <member> per element,
// "-" is skipped. Unlike encoding/xml it tells an absent list (nil, not
// written) from an empty one (written as an empty element, which clients
// read as []); nil pointers and empty strings are absent.
func encodeFields(b *bytes.Buffer, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		encodeField(b, tag, v.Field(i))
	}
}

// encodeField writes one struct field under the tag name (see
// encodeFields).
func encodeField(b *bytes.Buffer, tag string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		encodeField(b, tag, v.Elem())
		return
	case reflect.Map:
		return
	case reflect.String:
		if v.Len() == 0 {
			return
		}
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break
		}
		wrapper, elem, ok := strings.Cut(tag, ">")
		if !ok {
			// A flattened list: one element per item, no wrapper.
			for i := range v.Len() {
				encodeElement(b, tag, v.Index(i))
			}
			return
		}
		b.WriteString("<" + wrapper + ">")
		for i := range v.Len() {
			encodeElement(b, elem, v.Index(i))
		}
		b.WriteString("</" + wrapper + ">")
		return
	}
	encodeElement(b, tag, v)
}

// encodeElement writes <name>v</name>: text for scalars and text
// marshalers (timestamps), child elements for structs.
func encodeElement(b *bytes.Buffer, name string, v reflect.Value) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			b.WriteString("<" + name + "></" + name + ">")
			return
		}
		v = v.Elem()
	}
	b.WriteString("<" + name + ">")
	switch {
	case v.Type().Implements(textMarshaler):
		text, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err == nil {
			escape(b, string(text))
		}
	case v.Kind() == reflect.Struct:
		encodeFields(b, v)
	case v.Kind() == reflect.String:
		escape(b, v.String())
	case v.Kind() == reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case v.CanInt():
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case v.CanUint():
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case v.CanFloat():
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
	}
	b.WriteString("</" + name + ">")
}
