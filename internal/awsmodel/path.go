package awsmodel

import (
	"strconv"
	"strings"
)

// path is the location of a value in a request, kept as a linked list
// from the value up to the root so that it is only rendered on error.
type path struct {
	parent *path
	member string // structure member name, when key and index are unset
	key    string // map key, when isKey
	index  int    // list index, when isIndex
	isKey  bool
	isIdx  bool
}

// field returns the path of member name within p (p may be nil).
func (p *path) field(name string) *path { return &path{parent: p, member: name} }

// elem returns the path of list element i within p.
func (p *path) elem(i int) *path { return &path{parent: p, index: i, isIdx: true} }

// entry returns the path of map value k within p.
func (p *path) entry(k string) *path { return &path{parent: p, key: k, isKey: true} }

// String renders the path: members joined by dots, list elements as
// [i] (0-based) and map values as ["key"], e.g.
// containerDefinitions[0].portMappings[1].containerPort or
// containerDefinitions[0].dockerLabels["app"].
func (p *path) String() string {
	var parts []*path
	for q := p; q != nil; q = q.parent {
		parts = append(parts, q)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		q := parts[i]
		switch {
		case q.isIdx:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(q.index))
			b.WriteByte(']')
		case q.isKey:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(q.key))
			b.WriteByte(']')
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(q.member)
		}
	}
	return b.String()
}
