package awsmodel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
)

// rawModel is the top level of a service-2.json document.
type rawModel struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

// Parse parses a botocore service-2.json document, plain or gzipped, and
// resolves every shape reference. Errors wrap ErrInvalidModel.
func Parse(data []byte) (*Model, error) {
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("open gzipped model: %w: %w", ErrInvalidModel, err)
		}
		defer zr.Close()
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("decompress model: %w: %w", ErrInvalidModel, err)
		}
	}
	var raw rawModel
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decode model: %w: %w", ErrInvalidModel, err)
	}
	m := &Model{Metadata: raw.Metadata, Operations: raw.Operations, Shapes: raw.Shapes}
	if m.Operations == nil {
		m.Operations = map[string]*Operation{}
	}
	if m.Shapes == nil {
		m.Shapes = map[string]*Shape{}
	}
	if err := m.resolve(); err != nil {
		return nil, err
	}
	return m, nil
}

// resolve names every shape, marks required members and points every
// ShapeRef at its shape.
func (m *Model) resolve() error {
	for name, s := range m.Shapes {
		if s == nil {
			return fmt.Errorf("shape %q: %w: null definition", name, ErrInvalidModel)
		}
		s.Name = name
	}
	for name, s := range m.Shapes {
		required := make(map[string]bool, len(s.Required))
		for _, r := range s.Required {
			required[r] = true
		}
		for _, mem := range s.Members {
			mem.Required = required[mem.Name]
			if err := m.resolveRef(&mem.ShapeRef); err != nil {
				return fmt.Errorf("shape %q member %q: %w", name, mem.Name, err)
			}
		}
		for role, ref := range map[string]*ShapeRef{"member": s.Member, "key": s.Key, "value": s.Value} {
			if ref == nil {
				continue
			}
			if err := m.resolveRef(ref); err != nil {
				return fmt.Errorf("shape %q %s: %w", name, role, err)
			}
		}
		switch {
		case s.Type == TypeList && s.Member == nil:
			return fmt.Errorf("list shape %q: %w: no member", name, ErrInvalidModel)
		case s.Type == TypeMap && (s.Key == nil || s.Value == nil):
			return fmt.Errorf("map shape %q: %w: no key or value", name, ErrInvalidModel)
		}
	}
	for name, op := range m.Operations {
		if op == nil {
			return fmt.Errorf("operation %q: %w: null definition", name, ErrInvalidModel)
		}
		if op.Name == "" {
			op.Name = name
		}
		refs := append([]*ShapeRef{op.Input, op.Output}, op.Errors...)
		for _, ref := range refs {
			if ref == nil {
				continue
			}
			if err := m.resolveRef(ref); err != nil {
				return fmt.Errorf("operation %q: %w", name, err)
			}
		}
	}
	return nil
}

// resolveRef points ref at its shape.
func (m *Model) resolveRef(ref *ShapeRef) error {
	s, ok := m.Shapes[ref.ShapeName]
	if !ok {
		return fmt.Errorf("%w: undefined shape %q", ErrInvalidModel, ref.ShapeName)
	}
	ref.Shape = s
	return nil
}

// UnmarshalJSON decodes a shape, keeping structure members in model order.
func (s *Shape) UnmarshalJSON(data []byte) error {
	type plain Shape
	aux := struct {
		*plain
		Members orderedMembers `json:"members"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	s.Members = aux.Members
	return nil
}

// orderedMembers decodes a JSON object of members into a slice, in the
// order the members appear in the document.
type orderedMembers []*Member

// UnmarshalJSON decodes the members object token by token to keep order.
func (o *orderedMembers) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("read members: %w", err)
	}
	if tok == nil {
		*o = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("members: want an object, got %v", tok)
	}
	var out orderedMembers
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read member name: %w", err)
		}
		name, _ := tok.(string)
		mem := &Member{Name: name}
		if err := dec.Decode(&mem.ShapeRef); err != nil {
			return fmt.Errorf("member %q: %w", name, err)
		}
		out = append(out, mem)
	}
	*o = out
	return nil
}
