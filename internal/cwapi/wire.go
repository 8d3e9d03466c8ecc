package cwapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/cutover/cutover/internal/awsmodel"
	"github.com/cutover/cutover/internal/awsquery"
)

// writeOutput writes a successful answer of operation name in protocol p.
// resp is the operation's output (a pointer to a generated struct), nil
// for an operation without output. It fails only if the output cannot
// be encoded, before anything is written.
func writeOutput(w http.ResponseWriter, p protocol, name, reqID string, resp any) error {
	o, err := awsmodel.CloudWatch().Operation(name)
	if err != nil {
		return fmt.Errorf("write %s answer: %w", name, err)
	}
	if p == protoQuery {
		result := ""
		if o.Output != nil && resp != nil {
			result = o.Output.ResultWrapper
		}
		awsquery.WriteResponse(w, namespace(), name, result, reqID, resp)
		return nil
	}
	if p == protoCBOR {
		w.Header().Set("smithy-protocol", "rpc-v2-cbor")
	}
	if p == protoCBOR && (o.Output == nil || resp == nil) {
		// No output: an empty body without a content type.
		w.WriteHeader(http.StatusOK)
		return nil
	}
	v, ok := wireValue(reflect.ValueOf(resp), p)
	if !ok {
		v = map[string]any{}
	}
	if p == protoJSON {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("write %s answer: %w", name, err)
		}
		writeBody(w, http.StatusOK, jsonContentType, b)
		return nil
	}
	b, err := cborEnc.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s answer: %w", name, err)
	}
	writeBody(w, http.StatusOK, cborContentType, b)
	return nil
}

// writeError writes an error answer in protocol p. JSON and CBOR answers
// carry the error shape in __type and, as the model is
// awsQueryCompatible, the query code in x-amzn-query-error.
func writeError(w http.ResponseWriter, p protocol, e *Error, reqID string) {
	if p == protoQuery {
		awsquery.WriteError(w, namespace(), e.Status, e.Code, e.Message, reqID)
		return
	}
	fault := "Sender"
	if e.Status >= http.StatusInternalServerError {
		fault = "Receiver"
	}
	w.Header().Set("x-amzn-query-error", e.Code+";"+fault)
	typ := e.Code
	if e.Type != "" {
		typ = e.Type
	}
	if e.Shape != "" {
		typ = shapeNamespace + e.Shape
	}
	body := map[string]string{"__type": typ, "message": e.Message}
	if p == protoJSON {
		b, _ := json.Marshal(body) // a map of strings always encodes
		writeBody(w, e.Status, jsonContentType, b)
		return
	}
	w.Header().Set("smithy-protocol", "rpc-v2-cbor")
	b, _ := cborEnc.Marshal(body) // a map of strings always encodes
	writeBody(w, e.Status, cborContentType, b)
}

// writeBody sends body with its content type.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// namespace is the XML namespace of query answers.
func namespace() string { return awsmodel.CloudWatch().Metadata.XMLNamespace }
