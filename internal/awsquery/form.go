package awsquery

import (
	"encoding/json"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/awsmodel"
)

// maxListIndex bounds the N of Name.member.N, whatever the model says.
const maxListIndex = 1000

// reservedParams are the parameters of the protocol itself, not of the
// operation's input.
var reservedParams = map[string]bool{"Action": true, "Version": true}

// formNode is one dotted segment of the form's keys: "A.member.1.B=x"
// gives the nodes A → member → 1 → B, the last one with a value.
type formNode struct {
	value    string
	hasValue bool
	children map[string]*formNode
}

// child returns the child named seg, creating it.
func (n *formNode) child(seg string) *formNode {
	if n.children == nil {
		n.children = map[string]*formNode{}
	}
	c, ok := n.children[seg]
	if !ok {
		c = &formNode{}
		n.children[seg] = c
	}
	return c
}

// DecodeForm turns the parameters of a query request into the JSON
// document of the input shape s (nil: the operation takes no input), ready
// for awsmodel.ValidateJSONInput and json.Unmarshal:
//
//   - a structure member is Parent.Member (the member's wire name); keys
//     that name no member are ignored, as unknown JSON members are;
//   - a list is Name.member.1, Name.member.2... with 1-based indexes that
//     run without gaps, and "Name=" (empty) is the empty list, as botocore
//     sends it;
//   - a map is Name.entry.N.key and Name.entry.N.value;
//   - scalars are typed by their shape: integers and doubles become JSON
//     numbers and booleans true/false when they parse; a value that does
//     not parse is passed on as a string so that the validator names the
//     member and the expected type.
//
// Keys that do not fit the shape (a bad or missing index, a member under
// a scalar, a key given twice) are a *ParamError naming the key.
func DecodeForm(s *awsmodel.Shape, params url.Values) ([]byte, error) {
	root := &formNode{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if reservedParams[k] {
			continue
		}
		vals := params[k]
		if len(vals) > 1 {
			return nil, paramErr("The parameter %s is given more than once.", k)
		}
		n := root
		for _, seg := range strings.Split(k, ".") {
			n = n.child(seg)
		}
		n.value, n.hasValue = vals[0], true
	}
	if s == nil {
		return []byte("{}"), nil
	}
	doc, err := formValue(s, root, "")
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, paramErr("The request parameters cannot be read.")
	}
	return b, nil
}

// join appends a segment to a form key.
func join(key, seg string) string {
	if key == "" {
		return seg
	}
	return key + "." + seg
}

// formValue converts node n, the form key key, into a JSON value of shape
// s.
func formValue(s *awsmodel.Shape, n *formNode, key string) (any, error) {
	switch s.Type {
	case awsmodel.TypeStructure:
		return formStructure(s, n, key)
	case awsmodel.TypeList:
		return formList(s, n, key)
	case awsmodel.TypeMap:
		return formMap(s, n, key)
	}
	if len(n.children) > 0 {
		first := sortedChildren(n)[0]
		return nil, paramErr("The parameter %s is not valid: %s takes a value, not members.", join(key, first), key)
	}
	return formScalar(s, n.value), nil
}

// container handles what lists, maps and structures share: "Name=" with
// no members is the empty container; any other value is passed on for
// the validator to refuse; a value beside members is an error.
func container(n *formNode, key string, empty any) (any, bool, error) {
	if len(n.children) == 0 {
		if n.value == "" {
			return empty, true, nil
		}
		return n.value, true, nil
	}
	if n.value != "" {
		return nil, true, paramErr("The parameter %s cannot have both a value and members.", key)
	}
	return nil, false, nil
}

// formStructure converts a structure: one JSON member per model member
// present in the form.
func formStructure(s *awsmodel.Shape, n *formNode, key string) (any, error) {
	if v, done, err := container(n, key, map[string]any{}); done || err != nil {
		return v, err
	}
	obj := map[string]any{}
	for _, m := range s.Members {
		name := m.WireName()
		c, ok := n.children[name]
		if !ok || m.Shape == nil {
			continue
		}
		v, err := formValue(m.Shape, c, join(key, name))
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
	return obj, nil
}

// formList converts Name.member.N into a JSON array.
func formList(s *awsmodel.Shape, n *formNode, key string) (any, error) {
	if v, done, err := container(n, key, []any{}); done || err != nil {
		return v, err
	}
	elem := "member"
	if s.Member.LocationName != "" {
		elem = s.Member.LocationName
	}
	items, err := indexed(n, key, elem)
	if err != nil {
		return nil, err
	}
	arr := make([]any, len(items))
	for i, c := range items {
		v, err := formValue(s.Member.Shape, c, join(key, elem+"."+strconv.Itoa(i+1)))
		if err != nil {
			return nil, err
		}
		arr[i] = v
	}
	return arr, nil
}

// formMap converts Name.entry.N.key / Name.entry.N.value into a JSON
// object.
func formMap(s *awsmodel.Shape, n *formNode, key string) (any, error) {
	if v, done, err := container(n, key, map[string]any{}); done || err != nil {
		return v, err
	}
	keyName, valueName := "key", "value"
	if s.Key.LocationName != "" {
		keyName = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		valueName = s.Value.LocationName
	}
	entries, err := indexed(n, key, "entry")
	if err != nil {
		return nil, err
	}
	obj := make(map[string]any, len(entries))
	for i, e := range entries {
		ekey := join(key, "entry."+strconv.Itoa(i+1))
		k, ok := e.children[keyName]
		if !ok || len(k.children) > 0 {
			return nil, paramErr("The parameter %s.%s is missing or not a string.", ekey, keyName)
		}
		if _, dup := obj[k.value]; dup {
			return nil, paramErr("The parameter %s.%s repeats the key %q.", ekey, keyName, k.value)
		}
		var v any
		if c, ok := e.children[valueName]; ok {
			if v, err = formValue(s.Value.Shape, c, join(ekey, valueName)); err != nil {
				return nil, err
			}
		}
		obj[k.value] = v
	}
	return obj, nil
}

// indexed returns the elements of Name.<elem>.1 … Name.<elem>.N in order.
// The only child of n must be elem, whose children must be the indexes 1
// to N, written without leading zeros, with none missing.
func indexed(n *formNode, key, elem string) ([]*formNode, error) {
	for _, seg := range sortedChildren(n) {
		if seg != elem {
			return nil, paramErr("The parameter %s is not valid: the elements of %s are %s.%s.N.", join(key, seg), key, key, elem)
		}
	}
	list := n.children[elem]
	if list.hasValue {
		return nil, paramErr("The parameter %s needs an index: %s.1, %s.2...", join(key, elem), join(key, elem), join(key, elem))
	}
	last := 0
	for _, seg := range sortedChildren(list) {
		i, ok := listIndex(seg)
		if !ok {
			return nil, paramErr("The parameter %s has an invalid list index %q: indexes are 1, 2, 3...", join(key, elem+"."+seg), seg)
		}
		last = max(last, i)
	}
	if last > len(list.children) {
		for i := 1; i <= last; i++ {
			if _, ok := list.children[strconv.Itoa(i)]; !ok {
				return nil, paramErr("The parameter %s is missing: list indexes must run from 1 without gaps.", join(key, elem+"."+strconv.Itoa(i)))
			}
		}
	}
	items := make([]*formNode, last)
	for seg, c := range list.children {
		i, _ := listIndex(seg)
		items[i-1] = c
	}
	return items, nil
}

// listIndex parses a 1-based list index: digits, no leading zero, at most
// maxListIndex.
func listIndex(seg string) (int, bool) {
	if seg == "" || seg[0] == '0' || len(seg) > 4 {
		return 0, false
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 1 || i > maxListIndex {
		return 0, false
	}
	return i, true
}

// sortedChildren returns the child names of n in sorted order, so that
// the error reported for a bad request does not depend on map order.
func sortedChildren(n *formNode) []string {
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// formScalar types a form value by its shape (see decodeForm).
func formScalar(s *awsmodel.Shape, v string) any {
	switch s.Type {
	case awsmodel.TypeBoolean:
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
	case awsmodel.TypeInteger, awsmodel.TypeLong:
		if lit, ok := intLiteral(v); ok {
			return json.Number(lit)
		}
	case awsmodel.TypeDouble, awsmodel.TypeFloat:
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	return v
}

// intLiteral returns v as a JSON integer literal: an optional minus sign
// and digits, leading zeros dropped ("007" → "7", "-0" → "0"). Integers
// of any size are kept so that the validator reports the range.
func intLiteral(v string) (string, bool) {
	neg := strings.HasPrefix(v, "-")
	digits := strings.TrimPrefix(v, "-")
	if digits == "" {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", true
	}
	if neg {
		return "-" + digits, true
	}
	return digits, true
}
