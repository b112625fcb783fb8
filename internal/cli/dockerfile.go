package cli

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// errBinary is the error for input that holds a NUL byte: an image tar or
// another binary file given where a Dockerfile was expected.
var errBinary = errors.New("not a Dockerfile: binary content (is this an image? try whittle analyze)")

// checkText fails, naming the file, when src is binary rather than text.
func checkText(name string, src []byte) error {
	if bytes.IndexByte(src, 0) >= 0 {
		return fmt.Errorf("%s: %w", name, errBinary)
	}
	return nil
}

// dockerfileErrors parses src and returns every error that makes it
// unbuildable, one line each ("file:line:col: message"): a parse error, or
// an instruction BuildKit rejects (a FROM without image, a bad flag).
func dockerfileErrors(name string, src []byte) []string {
	if err := checkText(name, src); err != nil {
		return []string{err.Error()}
	}
	f, err := dockerfile.Parse(name, src)
	if err != nil {
		var pe *dockerfile.ParseError
		if errors.As(err, &pe) {
			return []string{pe.Error()}
		}
		return []string{fmt.Sprintf("%s: %v", name, err)}
	}
	var errs []string
	for in := range f.All() {
		if in.Err != nil {
			errs = append(errs, in.Err.Error())
		}
	}
	return errs
}
