package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// terminal returns the width of w when it is a terminal that can redraw
// in place (not TERM=dumb), and whether it is one.
func (a *app) terminal(w io.Writer) (width int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) || a.getenv("TERM") == "dumb" {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// redrawer draws a block of lines on a terminal, each time in place of
// the previous block.
type redrawer struct {
	w     io.Writer
	drawn int
}

// draw replaces the block drawn last with lines.
func (r *redrawer) draw(lines []string) {
	var b strings.Builder
	if r.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", r.drawn) // to the start of the block's first line
	}
	b.WriteString("\x1b[J") // clear to the end of the screen
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\n")
	}
	io.WriteString(r.w, b.String())
	r.drawn = len(lines)
}
