package sigv4

// Kind says what is wrong with a request's signature.
type Kind int

// Kinds of signature error.
const (
	// Missing: the request is not signed.
	Missing Kind = iota
	// Incomplete: the Authorization header or the signing date is
	// malformed.
	Incomplete
	// UnknownKey: the access key ID is not one of the server's.
	UnknownKey
	// BadSignature: the signature does not match the request.
	BadSignature
	// Expired: the request was signed too long ago (or ahead).
	Expired
)

// Error is a refused signature, with AWS's error code for each protocol.
type Error struct {
	Kind    Kind
	Message string
}

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Error returns the message.
func (e *Error) Error() string { return e.JSONType() + ": " + e.Message }

// JSONType is the error's __type in JSON protocols (ECS, CloudWatch's
// JSON): what the AWS JSON services answer.
func (e *Error) JSONType() string {
	switch e.Kind {
	case Missing:
		return "MissingAuthenticationTokenException"
	case Incomplete:
		return "IncompleteSignatureException"
	case UnknownKey:
		return "UnrecognizedClientException"
	default:
		return "InvalidSignatureException"
	}
}

// QueryCode is the error's Code in the query protocol (ELBv2,
// CloudWatch's query form), as the AWS query services answer.
func (e *Error) QueryCode() string {
	switch e.Kind {
	case Missing:
		return "MissingAuthenticationToken"
	case Incomplete:
		return "IncompleteSignature"
	case UnknownKey:
		return "InvalidClientTokenId"
	default:
		return "SignatureDoesNotMatch"
	}
}

// JSONStatus is the HTTP status JSON services answer with: 400 for
// every signature error.
func (e *Error) JSONStatus() int { return 400 }

// QueryStatus is the HTTP status query services answer with: 403 for
// every signature error but an incomplete one (400).
func (e *Error) QueryStatus() int {
	if e.Kind == Incomplete {
		return 400
	}
	return 403
}
