//go:build shared

package rules

import (
	"context"
	"fmt"
	"github.com/whittle/whittle/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// TestLayerRulesCorpus runs the layer and base rules over the shared real
// Dockerfiles: no errors on any of them, and the maintainer images in
// optimized/ (which already follow the layer technique) draw no WH101-103
// finding at Warning.
func TestLayerRulesCorpus(t *testing.T) {
	root := testenv.Shared(t, "corpus")
	// Reviewed true positives in maintainer images: the gosu RUN (line 13)
	// installs gnupg2 with microdnf and leaves its cache; only the RUN at
	// line 75 cleans it.
	reviewed := map[string]bool{"MariaDB__mariadb-docker__11.8-ubi_Dockerfile.Dockerfile:103:WH101": true}
	rules := []Rule{layerTechnique{}, layerCopyChown{}, layerDownload{}, baseImage{}}
	counts := map[string]map[string]int{}
	for _, dir := range []string{"optimized", "naive"} {
		counts[dir] = map[string]int{}
		files, _ := filepath.Glob(filepath.Join(root, dir, "*"))
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := dockerfile.Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := Lint(context.Background(), f, WithRuleSet(rules...))
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range fs {
				counts[dir][fd.Rule]++
				if testing.Verbose() {
					t.Logf("%s:%d %s %s: %s", filepath.Base(name), fd.Line, fd.Rule, fd.Severity, fd.Message)
				}
				key := fmt.Sprintf("%s:%d:%s", filepath.Base(name), fd.Line, fd.Rule)
				if dir == "optimized" && strings.HasPrefix(fd.Rule, "WH10") && fd.Severity != Info && !reviewed[key] {
					t.Errorf("%s:%d: %s on a maintainer image: %s", filepath.Base(name), fd.Line, fd.Rule, fd.Message)
				}
			}
		}
	}
	t.Logf("findings: %v", counts)
}
