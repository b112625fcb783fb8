//go:build shared

package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

// lintCounts runs lint and counts findings per rule.
func lintCounts(t *testing.T, src []byte) map[string]int {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		t.Fatalf("parsing: %v", err)
	}
	found, err := rules.Lint(context.Background(), f)
	if err != nil {
		t.Fatalf("linting: %v", err)
	}
	n := map[string]int{}
	for _, fd := range found {
		n[fd.Rule]++
	}
	return n
}

// TestLintAgrees uses lint as an oracle over the golden inputs and the
// corpora: for every rule a change was made for, lint reports fewer
// findings of that rule afterwards, and no rule reports more.
func TestLintAgrees(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.in")
	for _, p := range []string{"corpus/naive/*", "corpus/optimized/*", "compat/parfum/smelly/*"} {
		m, _ := filepath.Glob(filepath.Join(corpusDir(t), p))
		files = append(files, m...)
	}
	known := map[string]bool{}
	for _, r := range rules.All() {
		known[r.Meta().ID] = true
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dockerfile.Parse(file, src); err != nil {
			continue
		}
		res, err := Fix(src)
		if err != nil || !res.Changed() {
			continue
		}
		before, after := lintCounts(t, src), lintCounts(t, res.Output)
		for rule, n := range after {
			// WH104 (consecutive RUNs) counts RUNs that look alike, which
			// repairs make more often; it is not a size finding.
			if n > before[rule] && rule != "WH104" {
				t.Errorf("%s: %s findings went from %d to %d", file, rule, before[rule], n)
			}
		}
		changed := map[string]bool{}
		for _, c := range res.Changes {
			if known[c.Rule] {
				changed[c.Rule] = true
			}
		}
		sb, sa := 0, 0
		for rule := range changed {
			sb, sa = sb+before[rule], sa+after[rule]
		}
		if len(changed) > 0 && sa >= sb {
			t.Errorf("%s: changed for %v but lint reports %d findings of those rules, was %d", file, changed, sa, sb)
		}
	}
}
