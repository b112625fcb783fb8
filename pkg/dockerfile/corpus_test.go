package dockerfile

import (
	"bytes"
	"github.com/whittle/whittle/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// corpusFiles lists the shared real-world Dockerfiles.
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

func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 119 {
		t.Fatalf("found %d shared Dockerfiles, want at least 119", len(files))
	}
	runs, shellRuns := 0, 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(name, src)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		checkInvariants(t, f)
		checkStagesAgainstBuildKit(t, f)
		for in := range f.All() {
			if in.Err != nil {
				t.Errorf("%s: instruction error: %v", name, in.Err)
			}
			if in.Run == nil {
				continue
			}
			runs++
			if sc := in.Run.Script; sc != nil && sc.Interpreter == "" {
				shellRuns++
				if sc.Err != nil || sc.File == nil {
					t.Errorf("%s: shell-form RUN does not parse: %v", name, sc.Err)
				}
			}
		}
	}
	t.Logf("%d files, %d RUNs, %d shell scripts", len(files), runs, shellRuns)
	if len(files) < 119 {
		t.Errorf("only %d corpus files found", len(files))
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

// checkStagesAgainstBuildKit compares the stages with BuildKit's own
// instructions.Parse: count, names, base words, and per stage the number
// of commands and the COPY --from values.
func checkStagesAgainstBuildKit(t *testing.T, f *File) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(f.Src))
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	if len(metaArgs) != len(f.MetaArgs) || len(stages) != len(f.Stages) {
		t.Fatalf("%s: %d meta args, %d stages; BuildKit %d, %d", f.Name, len(f.MetaArgs), len(f.Stages), len(metaArgs), len(stages))
	}
	for i, bs := range stages {
		st := f.Stages[i]
		if st.Name != bs.Name || st.From.From.Image != bs.BaseName || len(st.Instructions)-1 != len(bs.Commands) {
			t.Errorf("%s: stage %d: %q on %q with %d commands; BuildKit %q on %q with %d", f.Name, i,
				st.Name, st.From.From.Image, len(st.Instructions)-1, bs.Name, bs.BaseName, len(bs.Commands))
			continue
		}
		for k, c := range bs.Commands {
			in := st.Instructions[k+1]
			if !strings.EqualFold(string(in.Kind), c.Name()) {
				t.Errorf("%s: stage %d command %d: %s, BuildKit %s", f.Name, i, k, in.Kind, c.Name())
			}
			if cp, ok := c.(*instructions.CopyCommand); ok && in.Copy.From != cp.From && !strings.Contains(cp.From, "$") {
				t.Errorf("%s: COPY --from %q, BuildKit %q", f.Name, in.Copy.From, cp.From)
			}
		}
	}
}
