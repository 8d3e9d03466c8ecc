package main

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// commentWidth is the column comments are wrapped at.
const commentWidth = 100

var (
	// inlineTag matches HTML tags that sit inside running text.
	inlineTag = regexp.MustCompile(`(?i)</?(code|i|b|a|em|strong|u|sup|sub|span|fullname|emphasis)(\s[^>]*)?/?>`)
	// anyTag matches any remaining HTML tag; it becomes a space.
	anyTag = regexp.MustCompile(`<[^>]*>`)
)

// plainText strips HTML from model documentation, unescapes entities and
// collapses whitespace.
func plainText(doc string) string {
	doc = inlineTag.ReplaceAllString(doc, "")
	doc = anyTag.ReplaceAllString(doc, " ")
	doc = html.UnescapeString(doc)
	return strings.Join(strings.Fields(doc), " ")
}

// firstSentence returns text up to and including the first '.', '!' or
// '?' that ends the text or is followed by a space and an upper-case
// letter or a digit (so "e.g. the" does not end a sentence). Text with no
// such end is returned whole, with a period added.
func firstSentence(text string) string {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		if i == len(text)-1 {
			return text
		}
		if text[i+1] != ' ' || i+2 >= len(text) {
			continue
		}
		next, _ := utf8.DecodeRuneInString(text[i+2:])
		if unicode.IsUpper(next) || unicode.IsDigit(next) {
			return text[:i+1]
		}
	}
	if text == "" {
		return ""
	}
	if last := text[len(text)-1]; last != '.' && last != '!' && last != '?' && last != ':' {
		text += "."
	}
	return text
}

// verbs are opening words of model documentation that read well after an
// identifier: "Determines whether..." becomes "X determines whether...".
var verbs = map[string]bool{
	"Contains": true, "Controls": true, "Defines": true, "Describes": true, "Determines": true,
	"Identifies": true, "Indicates": true, "Lists": true, "Provides": true, "Represents": true,
	"Specifies": true, "Configures": true,
}

// docSentence builds the one-sentence doc comment text for identifier
// name from model documentation, falling back to fallback when the model
// has none: "The ARN of..." → "ServiceArn is the ARN of...", "Indicates
// whether..." → "X indicates whether...", "Whether..." → "X reports
// whether...", anything else → "X: <sentence>".
func docSentence(name, doc, fallback string) string {
	s := firstSentence(plainText(doc))
	if s == "" {
		return fallback
	}
	first, rest, _ := strings.Cut(s, " ")
	switch {
	case first == "The" || first == "A" || first == "An":
		return name + " is " + strings.ToLower(first) + " " + rest
	case verbs[first]:
		return name + " " + strings.ToLower(first) + " " + rest
	case first == "Whether":
		return name + " reports whether " + rest
	default:
		return name + ": " + s
	}
}

// comment renders text as a // comment wrapped at commentWidth, each line
// prefixed with indent.
func comment(indent, text string) string {
	width := commentWidth - len(indent) - 3
	if strings.HasPrefix(indent, "\t") {
		width -= 3 * strings.Count(indent, "\t") // a tab shows as four columns
	}
	var b strings.Builder
	line := ""
	flush := func() {
		b.WriteString(indent + "// " + line + "\n")
		line = ""
	}
	for _, w := range strings.Fields(text) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			flush()
		}
		if line == "" {
			line = w
		} else {
			line += " " + w
		}
	}
	if line != "" {
		flush()
	}
	return b.String()
}
