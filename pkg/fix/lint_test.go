//go:build shared

package fix

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// TestModelCorpus holds the model (checkModel) over every shared
// Dockerfile: the corpus, PARFUM's smelly, repaired and paired files.
func TestModelCorpus(t *testing.T) {
	var files []string
	for _, p := range []string{"corpus/naive/*", "corpus/optimized/*", "compat/parfum/smelly/*", "compat/parfum/repaired/*", "compat/parfum/pairs/*/*.Dockerfile"} {
		m, _ := filepath.Glob(filepath.Join(corpusDir(t), p))
		files = append(files, m...)
	}
	if len(files) < 119 {
		t.Fatalf("found %d shared Dockerfiles, want at least 119", len(files))
	}
	n := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dockerfile.Parse(file, src); err != nil {
			continue // the model is for files that parse
		}
		n++
		rel, _ := filepath.Rel(corpusDir(t), file)
		t.Run(rel, func(t *testing.T) { checkModel(t, src) })
	}
	t.Logf("%d files hold the model", n)
}
