package rules

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var docBlock = regexp.MustCompile("(?s)```dockerfile\n(# (reported|quiet)[^\n]*\n.*?)```")

// TestLayerRuleDocs runs the examples of the rule pages of WH101-103 and
// WH701: every "# reported" block draws the rule, every "# quiet" block
// does not.
func TestLayerRuleDocs(t *testing.T) {
	for _, r := range []Rule{layerTechnique{}, layerCopyChown{}, layerDownload{}, baseImage{}} {
		id := r.Meta().ID
		b, err := os.ReadFile("../../" + r.Meta().Doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := docBlock.FindAllStringSubmatch(string(b), -1)
		if len(blocks) < 2 {
			t.Errorf("%s: %d examples", id, len(blocks))
		}
		for _, m := range blocks {
			src := m[1]
			if !strings.Contains(src, "FROM ") {
				src = "FROM alpine:3.19\n" + src
			}
			got := 0
			for _, f := range lintString(t, src, WithRuleSet(r)) {
				if f.Rule == id {
					got++
				}
			}
			if (m[2] == "reported") != (got > 0) {
				t.Errorf("%s: %s example gives %d findings:\n%s", id, m[2], got, src)
			}
		}
	}
}
