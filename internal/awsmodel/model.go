package awsmodel

import (
	"fmt"
	"sort"
)

// ShapeType is the kind of a shape, spelled as in the model.
type ShapeType string

// Shape types found in botocore models.
const (
	// TypeStructure is an object with named members.
	TypeStructure ShapeType = "structure"
	// TypeList is an ordered list of one member shape.
	TypeList ShapeType = "list"
	// TypeMap maps a key shape to a value shape.
	TypeMap ShapeType = "map"
	// TypeString is a string, possibly constrained by enum, min and max.
	TypeString ShapeType = "string"
	// TypeInteger is a 32-bit signed integer.
	TypeInteger ShapeType = "integer"
	// TypeLong is a 64-bit signed integer.
	TypeLong ShapeType = "long"
	// TypeDouble is a 64-bit floating point number.
	TypeDouble ShapeType = "double"
	// TypeFloat is a 32-bit floating point number.
	TypeFloat ShapeType = "float"
	// TypeBoolean is true or false.
	TypeBoolean ShapeType = "boolean"
	// TypeTimestamp is a point in time.
	TypeTimestamp ShapeType = "timestamp"
	// TypeBlob is binary data, base64-encoded in JSON.
	TypeBlob ShapeType = "blob"
)

// Model is a parsed service model. It is read-only once parsed.
type Model struct {
	// Metadata describes the service and its protocol.
	Metadata Metadata
	// Operations maps operation names to operations.
	Operations map[string]*Operation
	// Shapes maps shape names to shapes.
	Shapes map[string]*Shape
}

// Metadata is the model's "metadata" block.
type Metadata struct {
	// APIVersion is the service's API version, e.g. "2014-11-13".
	APIVersion string `json:"apiVersion"`
	// EndpointPrefix is the service's endpoint prefix, e.g. "ecs".
	EndpointPrefix string `json:"endpointPrefix"`
	// JSONVersion is the JSON protocol version, e.g. "1.1".
	JSONVersion string `json:"jsonVersion"`
	// Protocol is the wire protocol: "json", "query", "rest-json"...
	Protocol string `json:"protocol"`
	// Protocols lists every protocol the service speaks, preferred first,
	// when the model names more than one (CloudWatch:
	// smithy-rpc-v2-cbor, json, query).
	Protocols []string `json:"protocols"`
	// AWSQueryCompatible is set when a service that moved off the query
	// protocol keeps its query error codes: JSON and CBOR errors then
	// carry them in the x-amzn-query-error header ("Code;Sender").
	AWSQueryCompatible *struct{} `json:"awsQueryCompatible"`
	// ServiceAbbreviation is the short service name, e.g. "Amazon ECS".
	ServiceAbbreviation string `json:"serviceAbbreviation"`
	// ServiceFullName is the long service name.
	ServiceFullName string `json:"serviceFullName"`
	// ServiceID is the SDK service identifier, e.g. "ECS".
	ServiceID string `json:"serviceId"`
	// SignatureVersion is the signing scheme, e.g. "v4".
	SignatureVersion string `json:"signatureVersion"`
	// SigningName is the SigV4 signing name.
	SigningName string `json:"signingName"`
	// TargetPrefix is the X-Amz-Target prefix of JSON protocols.
	TargetPrefix string `json:"targetPrefix"`
	// UID identifies the model, e.g. "ecs-2014-11-13".
	UID string `json:"uid"`
	// XMLNamespace is the response namespace of query protocols.
	XMLNamespace string `json:"xmlNamespace"`
}

// Operation is one API operation.
type Operation struct {
	// Name is the operation name, e.g. "CreateService".
	Name string `json:"name"`
	// HTTP holds the HTTP binding.
	HTTP HTTPBinding `json:"http"`
	// Input is the input shape, nil when the operation takes none.
	Input *ShapeRef `json:"input"`
	// Output is the output shape, nil when the operation returns none.
	Output *ShapeRef `json:"output"`
	// Errors are the error shapes the operation documents.
	Errors []*ShapeRef `json:"errors"`
	// Documentation is the model's HTML documentation.
	Documentation string `json:"documentation"`
	// Deprecated reports whether the operation is deprecated.
	Deprecated bool `json:"deprecated"`
}

// HTTPBinding is an operation's HTTP method and path.
type HTTPBinding struct {
	// Method is the HTTP method, e.g. "POST".
	Method string `json:"method"`
	// RequestURI is the request path, e.g. "/".
	RequestURI string `json:"requestUri"`
}

// ShapeRef is a reference to a shape from an operation, a member, a list
// element or a map key or value. Shape is set once the model is parsed.
type ShapeRef struct {
	// ShapeName is the name of the referenced shape.
	ShapeName string `json:"shape"`
	// Shape is the referenced shape, resolved after parsing.
	Shape *Shape `json:"-"`
	// Documentation is the HTML documentation of this reference.
	Documentation string `json:"documentation"`
	// LocationName is the wire name when it differs from the member name.
	LocationName string `json:"locationName"`
	// ResultWrapper is the query protocol's XML result element.
	ResultWrapper string `json:"resultWrapper"`
	// Deprecated reports whether the member is deprecated.
	Deprecated bool `json:"deprecated"`
	// IdempotencyToken reports whether the member is an idempotency token.
	IdempotencyToken bool `json:"idempotencyToken"`
	// Box reports whether the member is boxed (nullable).
	Box bool `json:"box"`
	// Flattened reports whether a query-protocol list has no wrapper.
	Flattened bool `json:"flattened"`
}

// Member is a named member of a structure shape.
type Member struct {
	// Name is the member name as it appears on the JSON wire.
	Name string
	// Required reports whether the structure lists the member as required.
	Required bool
	ShapeRef
}

// WireName returns the member's name on the wire: its locationName when
// the model sets one, else its member name.
func (m *Member) WireName() string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// ErrorInfo is the query-protocol "error" block of an exception shape.
type ErrorInfo struct {
	// Code is the error code sent on the wire.
	Code string `json:"code"`
	// HTTPStatusCode is the HTTP status of the error.
	HTTPStatusCode int `json:"httpStatusCode"`
	// SenderFault reports whether the caller is at fault.
	SenderFault bool `json:"senderFault"`
}

// Shape is one named shape of the model.
type Shape struct {
	// Name is the shape's name in the model.
	Name string `json:"-"`
	// Type is the shape's kind.
	Type ShapeType `json:"type"`
	// Members are a structure's members in model order.
	Members []*Member `json:"-"`
	// Required lists a structure's required member names.
	Required []string `json:"required"`
	// Member is a list's element shape.
	Member *ShapeRef `json:"member"`
	// Key is a map's key shape.
	Key *ShapeRef `json:"key"`
	// Value is a map's value shape.
	Value *ShapeRef `json:"value"`
	// Enum lists a string's allowed values; empty means any value.
	Enum []string `json:"enum"`
	// Min is the minimum length of a string, list or map, or the
	// minimum value of a number; nil means no minimum.
	Min *float64 `json:"min"`
	// Max is the maximum length or value; nil means no maximum.
	Max *float64 `json:"max"`
	// Pattern is a string's documented pattern; it is not enforced.
	Pattern string `json:"pattern"`
	// Documentation is the model's HTML documentation.
	Documentation string `json:"documentation"`
	// Document reports whether a structure is a free-form JSON document.
	Document bool `json:"document"`
	// Exception reports whether the shape is an error shape.
	Exception bool `json:"exception"`
	// Fault reports whether an error shape is a server fault.
	Fault bool `json:"fault"`
	// Sensitive reports whether values must not be logged.
	Sensitive bool `json:"sensitive"`
	// Box reports whether the shape is boxed (nullable).
	Box bool `json:"box"`
	// Deprecated reports whether the shape is deprecated.
	Deprecated bool `json:"deprecated"`
	// Flattened reports whether a query-protocol list has no wrapper.
	Flattened bool `json:"flattened"`
	// LocationName is a list member's XML element name.
	LocationName string `json:"locationName"`
	// Error is the query-protocol error block of an exception shape.
	Error *ErrorInfo `json:"error"`
}

// MemberByName returns the structure member with the given name, or nil.
func (s *Shape) MemberByName(name string) *Member {
	for _, m := range s.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Operation returns the named operation. It returns an error wrapping
// ErrUnknownOperation when the model has no such operation.
func (m *Model) Operation(name string) (*Operation, error) {
	op, ok := m.Operations[name]
	if !ok {
		return nil, fmt.Errorf("operation %q: %w", name, ErrUnknownOperation)
	}
	return op, nil
}

// OperationNames returns the names of all operations, sorted.
func (m *Model) OperationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for name := range m.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
