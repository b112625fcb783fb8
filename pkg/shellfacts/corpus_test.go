//go:build shared

package shellfacts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/dockerfile"
)

// TestCorpus reads every RUN of the shared corpus: no panic, and every
// command's range lies inside its instruction.
func TestCorpus(t *testing.T) {
	var files []string
	for _, root := range []string{testenv.Shared(t, "corpus"), testenv.Shared(t, "compat", "parfum")} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.Contains(filepath.Base(p), "Dockerfile") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 119 {
		t.Fatalf("found %d shared Dockerfiles, want at least 119", len(files))
	}
	n, pk := 0, 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := dockerfile.Parse(name, src)
		if err != nil {
			t.Fatal(err)
		}
		for in := range f.All() {
			facts, err := OfRun(in)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if facts == nil {
				continue
			}
			for _, c := range facts.Commands {
				n++
				if c.Pkg != nil {
					pk++
				}
				if c.Range.Start.Offset < in.Range.Start.Offset || c.Range.End.Offset > in.Range.End.Offset || c.Range.End.Offset < c.Range.Start.Offset {
					t.Errorf("%s:%d: command %s range %+v outside instruction %+v", name, in.Range.Start.Line, c.Name, c.Range, in.Range)
				}
			}
		}
	}
	t.Logf("%d files, %d commands, %d package-manager operations", len(files), n, pk)
}
