package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/dockerfile"
)

// FuzzLint checks that Lint never panics and that every finding it returns
// is well formed, whatever the input. The rule table seeds it, and in the
// shared tier the corpus Dockerfiles and PARFUM's smelly files too.
func FuzzLint(f *testing.F) {
	for _, c := range ruleCases {
		f.Add([]byte(c.src))
	}
	// Hostile shapes (issue 11): nesting past the limit, removals of what
	// is already gone, a merge further than a repair goes.
	f.Add([]byte("FROM debian\nRUN echo " + strings.Repeat("$(echo ", 70) + "x" + strings.Repeat(")", 70) + "\n"))
	f.Add([]byte("FROM debian\nRUN sh -c 'echo " + strings.Repeat("$(echo ", 70) + "x" + strings.Repeat(")", 70) + "'\n"))
	f.Add([]byte("FROM debian AS a\nRUN apt-get install -y gcc && curl -o /tmp/a.tgz https://e/a.tgz\nRUN apt-get purge -y gcc && rm /tmp/a.tgz\nFROM a\nRUN apt-get purge -y gcc && rm -f /tmp/a.tgz\n"))
	f.Add([]byte("FROM debian\nRUN cp /etc/hosts /opt/x\n" + strings.Repeat("RUN true\n", 70) + "RUN rm /opt/x\n"))
	if testenv.SharedTier {
		for _, dir := range []string{
			testenv.Shared(f, "corpus", "naive"),
			testenv.Shared(f, "corpus", "optimized"),
			testenv.Shared(f, "compat", "parfum", "smelly"),
		} {
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, p := range files {
				b, err := os.ReadFile(p)
				if err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		df, err := dockerfile.Parse("Dockerfile", src)
		if err != nil {
			return
		}
		fs, err := Lint(context.Background(), df)
		if err != nil {
			t.Fatalf("Lint: %v", err)
		}
		for _, fd := range fs {
			if fd.Rule == "" || fd.Line < 1 || fd.Column < 1 || fd.Message == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}
