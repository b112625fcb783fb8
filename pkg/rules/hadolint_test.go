//go:build shared

package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/whittle/whittle/internal/testenv"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// hadolintCase is one entry of shared/compat/hadolint/cases.json.
type hadolintCase struct {
	Rule          string `json:"rule"`
	Dockerfile    string `json:"dockerfile"`
	ExpectTrigger bool   `json:"expect_trigger"`
	It            string `json:"it"`
	SourceLine    int    `json:"source_line"`
}

// compatDir is shared/compat, beside the repository.
func compatDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(testenv.Shared(t, "compat"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the compatibility data is missing: %v", err)
	}
	return dir
}

// hadolintStageAware are the hadolint rules that report only in the last
// stage or stages reused by FROM; whittle's equivalent is InFinalImage.
var hadolintStageAware = map[string]bool{"DL3009": true, "DL3060": true}

// hadolintDifferences are the cases where whittle deliberately disagrees
// with hadolint, keyed by rule and source line of the case in hadolint's
// spec; docs/rules/hadolint.md gives each reason.
var hadolintDifferences = map[string]string{
	"DL3009:31:FROM ubuntu as foo\nONBUILD RUN apt-get update && apt-get install python\nFROM scratch\nONBUILD RUN echo hey!\n":                                            onbuildUnused,
	"DL3009:71:FROM ubuntu as foo\nONBUILD RUN apt-get update && apt-get install python\nFROM scratch\nONBUILD RUN hey!\n":                                                 onbuildUnused,
	"DL3060:96:FROM node:lts-alpine as foo\nONBUILD RUN yarn install foo\nFROM scratch\nONBUILD RUN hey!\n":                                                                onbuildUnused,
	"DL3009:132:RUN rm -f /etc/apt/apt.conf.d/docker-clean\nRUN --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install python\n":                 parentMount,
	"DL3009:133:ONBUILD RUN rm -f /etc/apt/apt.conf.d/docker-clean\nONBUILD RUN --mount=type=cache,target=/var/lib/apt \\\n    apt-get update && apt-get install python\n": parentMount,

	"DL3042:56:ENV PIP_NO_CACHE_DIR=0\nRUN pip install MySQL_python":          pipFalsy,
	"DL3042:57:ENV PIP_NO_CACHE_DIR=off\nRUN pip install MySQL_python":        pipFalsy,
	"DL3042:58:ENV PIP_NO_CACHE_DIR=no\nRUN pip install MySQL_python":         pipFalsy,
	"DL3042:59:ENV PIP_NO_CACHE_DIR=false\nRUN pip install MySQL_python":      pipFalsy,
	"DL3042:61:RUN PIP_NO_CACHE_DIR=0 pip install MySQL_python":               pipFalsy,
	"DL3042:62:RUN PIP_NO_CACHE_DIR=off pip install MySQL_python":             pipFalsy,
	"DL3042:63:RUN PIP_NO_CACHE_DIR=no pip install MySQL_python":              pipFalsy,
	"DL3042:64:RUN PIP_NO_CACHE_DIR=false pip install MySQL_python":           pipFalsy,
	"DL3042:66:RUN export PIP_NO_CACHE_DIR=0 && pip install MySQL_python":     pipFalsy,
	"DL3042:67:RUN export PIP_NO_CACHE_DIR=off && pip install MySQL_python":   pipFalsy,
	"DL3042:68:RUN export PIP_NO_CACHE_DIR=no && pip install MySQL_python":    pipFalsy,
	"DL3042:69:RUN export PIP_NO_CACHE_DIR=false && pip install MySQL_python": pipFalsy,
}

const (
	pipFalsy      = "pip disables its cache for every boolean value of PIP_NO_CACHE_DIR, false ones included (\"0\", \"off\", \"no\", \"false\"), for compatibility with its old behaviour: the cache is off, and whittle stays quiet"
	onbuildUnused = "an ONBUILD trigger in a stage that does not reach the final image never runs for any image built from this file: whittle reports it at Info, outside the final image"
	parentMount   = "a cache mount on /var/lib/apt holds /var/lib/apt/lists too, so the lists never reach the layer"
)

func TestHadolintCases(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(compatDir(t), "hadolint", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hadolintCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 278 {
		t.Fatalf("cases.json has %d cases, want 278", len(cases))
	}
	mapped := map[string]string{}
	for _, r := range All() {
		for _, h := range r.Meta().Hadolint {
			mapped[h] = r.Meta().ID
		}
	}
	agree, differ, unmapped := 0, 0, 0
	seen := map[string]bool{}
	for i, c := range cases {
		wh, ok := mapped[c.Rule]
		if !ok {
			unmapped++
			continue
		}
		f, err := dockerfile.Parse("Dockerfile", []byte(c.Dockerfile))
		if err != nil {
			t.Errorf("case %d (%s %q): parsing: %v", i, c.Rule, c.It, err)
			continue
		}
		fs, err := Lint(context.Background(), f, WithRules(wh))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		fired := false
		for _, fd := range fs {
			if fd.Rule == wh && (fd.InFinalImage || !hadolintStageAware[c.Rule]) {
				fired = true
			}
		}
		key := c.Rule + ":" + itoa(c.SourceLine) + ":" + c.Dockerfile
		if fired == c.ExpectTrigger {
			agree++
			if _, listed := hadolintDifferences[key]; listed {
				t.Errorf("case %d (%s line %d %q) is listed as a difference but agrees", i, c.Rule, c.SourceLine, c.It)
			}
			continue
		}
		differ++
		seen[key] = true
		if _, listed := hadolintDifferences[key]; !listed {
			t.Errorf("case %d: %s (%s) on %q: hadolint fires=%v, whittle fires=%v; findings %v", i, c.Rule, wh, c.Dockerfile, c.ExpectTrigger, fired, fs)
		}
	}
	for k := range hadolintDifferences {
		if !seen[k] {
			t.Errorf("listed difference %q matched no disagreeing case", k)
		}
	}
	fmt.Printf("hadolint agreement: %d of %d mapped cases (%d documented differences)\n", agree, agree+differ, differ)
	t.Logf("hadolint cases: %d total, %d mapped to whittle rules, %d agree, %d differ (all documented), %d of unmapped rules",
		len(cases), agree+differ, agree, differ, unmapped)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
