package dockerfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/whittle/whittle/internal/testenv"
)

// corpusFiles lists the shared real-world Dockerfiles: the corpus and
// PARFUM's files. Only tests of the shared tier call it (testenv.SharedTier).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, root := range []string{testenv.Shared(t, "corpus"), testenv.Shared(t, "compat", "parfum")} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, "Dockerfile") || strings.Contains(filepath.Base(p), "Dockerfile")) {
				files = append(files, p)
			}
			return nil
		})
	}
	return files
}

// checkInvariants checks a parsed file against independent oracles:
// Original is the Src slice of Range; every script byte maps to the same
// byte of Src; BuildKit's own command line equals the script text.
func checkInvariants(t *testing.T, f *File) {
	t.Helper()
	// BuildKit's own line numbers for each instruction.
	if res, err := parser.Parse(bytes.NewReader(f.Src)); err == nil {
		for i, n := range res.AST.Children {
			r := f.Instructions[i].Range
			if r.Start.Line != n.StartLine || r.End.Line != n.EndLine {
				t.Errorf("%s: instruction %d spans lines %d-%d, BuildKit %d-%d", f.Name, i, r.Start.Line, r.End.Line, n.StartLine, n.EndLine)
			}
		}
	}
	for in := range f.All() {
		if got := string(f.Src[in.Range.Start.Offset:in.Range.End.Offset]); got != in.Original {
			t.Errorf("%s:%d: Original %q != Src[Range] %q", f.Name, in.Range.Start.Line, in.Original, got)
		}
		// The keyword may itself be split by a line continuation, so only
		// its first byte is compared.
		// A first line holding only a continuation character comes first.
		if in.Keyword != "" && (in.Original == "" || (!strings.EqualFold(in.Original[:1], in.Keyword[:1]) && in.Original[0] != f.Escape)) {
			t.Errorf("%s:%d: range does not start at keyword %q: %q", f.Name, in.Range.Start.Line, in.Keyword, in.Original)
		}
		p := f.PosAt(in.Range.Start.Offset)
		if p != in.Range.Start {
			t.Errorf("%s: start pos %+v != PosAt %+v", f.Name, in.Range.Start, p)
		}
		for _, fl := range in.Flags {
			if fl.Range.End.Offset == 0 {
				t.Errorf("%s:%d: flag %s has no range", f.Name, in.Range.Start.Line, fl.Name)
				continue
			}
			w := string(f.Src[fl.Range.Start.Offset:fl.Range.End.Offset])
			// BuildKit removes quotes and escapes and re-encodes bytes
			// as runes, so the name may differ from the bytes; the word
			// starts with "--", and a plain ASCII word holds the name.
			plain := !strings.ContainsAny(w, `"'`+string(f.Escape)) && isASCII(w)
			if !strings.HasPrefix(w, "--") || (plain && !strings.HasPrefix(w, "--"+fl.Name)) {
				t.Errorf("%s:%d: flag %s range covers %q", f.Name, in.Range.Start.Line, fl.Name, w)
			}
		}
		if in.Run == nil || in.Run.Script == nil {
			continue
		}
		sc := in.Run.Script
		if len(sc.offs) != len(sc.Text)+1 {
			t.Fatalf("%s:%d: %d offsets for %d bytes", f.Name, in.Range.Start.Line, len(sc.offs), len(sc.Text))
		}
		for i := 0; i < len(sc.Text); i++ {
			if f.Src[sc.offs[i]] != sc.Text[i] {
				t.Fatalf("%s:%d: script byte %d %q maps to Src %q", f.Name, in.Range.Start.Line, i, sc.Text[i], f.Src[sc.offs[i]])
			}
			if i > 0 && sc.offs[i] <= sc.offs[i-1] {
				t.Fatalf("%s:%d: offsets not increasing at %d", f.Name, in.Range.Start.Line, i)
			}
		}
		want := ""
		if len(in.Args) > 0 {
			want = in.Args[0]
		}
		if len(in.Heredocs) > 0 {
			if parser.MustParseHeredoc(want) != nil {
				want = in.Heredocs[0].Content
			} else {
				var b strings.Builder
				b.WriteString(want)
				for _, h := range in.Heredocs {
					b.WriteString("\n" + string(f.Src[h.Body.Start.Offset:h.Body.End.Offset]) + h.Name)
				}
				want = b.String()
			}
		}
		if sc.Text != want {
			t.Errorf("%s:%d: script %q, BuildKit says %q", f.Name, in.Range.Start.Line, sc.Text, want)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
