//go:build shared

package dockerfile

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestCorpus parses every shared real-world Dockerfile and checks it against
// BuildKit: positions and scripts (checkInvariants), stages, and that every
// shell-form RUN parses.
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
