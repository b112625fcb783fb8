package dockerfile

import (
	"errors"
	"strings"
	"testing"
)

// A script is read up to MaxShellNesting levels deep; one level more is a
// *ParseError matching ErrNestedTooDeep, located at the level too deep.
func TestShellNestingLimit(t *testing.T) {
	for _, depth := range []int{MaxShellNesting, MaxShellNesting + 1, 10 * MaxShellNesting} {
		src := "FROM alpine\nRUN echo " + strings.Repeat("$(echo ", depth) + "x" + strings.Repeat(")", depth) + "\n"
		f, err := Parse("Dockerfile", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		sc := f.Instructions[1].Run.Script
		deep := errors.Is(sc.Err, ErrNestedTooDeep)
		if want := depth > MaxShellNesting; deep != want || (sc.File == nil) != want {
			t.Fatalf("depth %d: err %v, file %v", depth, sc.Err, sc.File != nil)
		}
		if !deep {
			continue
		}
		var pe *ParseError
		if !errors.As(sc.Err, &pe) || pe.Line != 2 || pe.Col != len("RUN echo ")+1+MaxShellNesting*len("$(echo ") {
			t.Errorf("depth %d: %#v", depth, sc.Err)
		}
	}
}
