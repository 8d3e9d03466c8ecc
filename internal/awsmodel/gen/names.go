package main

import (
	"strconv"
	"strings"
	"unicode"
)

// exportedName turns a shape or member name into an exported Go
// identifier: characters that cannot appear in an identifier are dropped,
// the letter after each of them and the first letter are upper-cased, and
// the rest is kept as is (serviceArn → ServiceArn, enableECSManagedTags →
// EnableECSManagedTags).
func exportedName(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if out == "" || unicode.IsDigit(rune(out[0])) {
		out = "X" + out
	}
	return out
}

// enumValueName turns an enum value into the PascalCase suffix of its
// constant: words are split at any character that is not a letter or a
// digit, words written in one case are capitalized (ROLLBACK_IN_PROGRESS
// → RollbackInProgress, awsvpc → Awsvpc, json-file → JsonFile) and words
// in mixed case keep their inner capitals (Target.NotInUse →
// TargetNotInUse). It returns "" for a value without letters or digits.
func enumValueName(value string) string {
	words := strings.FieldsFunc(value, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var b strings.Builder
	for _, w := range words {
		if strings.ToUpper(w) == w || strings.ToLower(w) == w {
			w = strings.ToLower(w)
		}
		runes := []rune(w)
		runes[0] = unicode.ToUpper(runes[0])
		b.WriteString(string(runes))
	}
	return b.String()
}

// enumConstNames returns the constant names of an enum's values, in
// order: the type name followed by the value's PascalCase form. Values
// whose forms collide, or that have none, get their 1-based position
// appended so that every name is unique.
func enumConstNames(typeName string, values []string) []string {
	names := make([]string, len(values))
	seen := make(map[string]int, len(values))
	for i, v := range values {
		seen[typeName+enumValueName(v)]++
		names[i] = typeName + enumValueName(v)
	}
	for i, v := range values {
		if seen[names[i]] > 1 || enumValueName(v) == "" {
			names[i] += strconv.Itoa(i + 1)
		}
	}
	return names
}
