package fix

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// The shared corpora live outside the repository; these tests skip when
// they are absent (set WHITTLE_CORPUS to point elsewhere).
func corpusDir() string {
	if d := os.Getenv("WHITTLE_CORPUS"); d != "" {
		return d
	}
	return "/work/shared"
}

func corpusFiles(t *testing.T, pattern string) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir(), pattern))
	if len(files) == 0 {
		t.Skipf("no files match %s", pattern)
	}
	return files
}

// TestCorpusProperties checks the guarantees over every real Dockerfile:
// the output parses, changed RUNs parse, a second fix changes nothing,
// directives are kept, and a file with nothing to repair is returned
// byte-identical.
func TestCorpusProperties(t *testing.T) {
	var files []string
	for _, p := range []string{"corpus/naive/*", "corpus/optimized/*", "compat/parfum/smelly/*", "compat/parfum/repaired/*", "compat/parfum/pairs/*/*.Dockerfile"} {
		m, _ := filepath.Glob(filepath.Join(corpusDir(), p))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no corpus")
	}
	changedOptimized := 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dockerfile.Parse(file, src); err != nil {
			continue // the guarantees are for files that parse
		}
		res, err := Fix(src)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if !res.Changed() && !bytes.Equal(src, res.Output) {
			t.Errorf("%s: no change reported but output differs", file)
		}
		if strings.Contains(file, "/optimized/") && res.Changed() {
			changedOptimized++
			for _, c := range res.Changes {
				t.Logf("optimized change %s:%d %s %s", filepath.Base(file), c.Line, c.Rule, c.Message)
			}
		}
		t.Run(filepath.Base(file), func(t *testing.T) { checkGuarantees(t, src, res.Output) })
	}
	t.Logf("optimized files changed: %d", changedOptimized)
	if changedOptimized > 8 {
		t.Errorf("%d files of corpus/optimized changed; they already follow the practices", changedOptimized)
	}
}

// TestParfumPairs checks whittle against PARFUM's 12 repaired pairs: for
// every smell PARFUM repaired, whittle's output has the repair too, and
// never has PARFUM's invalid outputs.
func TestParfumPairs(t *testing.T) {
	dirs := corpusFiles(t, "compat/parfum/pairs/*")
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, "original.Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			smells, err := os.ReadFile(filepath.Join(dir, "smells.txt"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Fix(src)
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.Output)
			for _, smell := range strings.Fields(string(smells)) {
				if !parfumRepaired(smell, src, res.Output) {
					t.Errorf("smell %s repaired by PARFUM is not repaired:\n%s", smell, out)
				}
			}
			if strings.Contains(out, "; &&") || strings.Contains(out, ";&&") {
				t.Errorf("output has '; &&':\n%s", out)
			}
			checkGuarantees(t, src, res.Output)
		})
	}
}

// parfumRepaired checks one PARFUM smell in whittle's output by counting
// the repair's marks, an oracle independent of Fix's code.
func parfumRepaired(smell string, in, out []byte) bool {
	// Comment lines do not count ("# files for pip installation").
	var code []byte
	for _, line := range bytes.SplitAfter(out, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			code = append(code, line...)
		}
	}
	out = code
	count := func(b []byte, s string) int { return bytes.Count(b, []byte(s)) }
	switch smell {
	case "pipUseNoCacheDir":
		return count(out, "pip install")+count(out, "pip3 install") <= count(out, "--no-cache-dir")
	case "aptGetInstallUseNoRec":
		return count(out, "apt-get install")+count(out, "apt install") <= count(out, "--no-install-recommends")+count(out, "Install-Recommends")
	case "ruleAptGetInstallThenRemoveAptLists", "aptGetUpdatePrecedesInstall":
		// Every RUN that updates removes the lists.
		f, err := dockerfile.Parse("out", out)
		if err != nil {
			return false
		}
		for in := range f.All() {
			o := in.Original
			if in.Kind == dockerfile.KindRun && (strings.Contains(o, "apt-get update") || strings.Contains(o, "apt update")) &&
				!strings.Contains(o, "/var/lib/apt/lists") {
				return false
			}
		}
		return true
	case "npmCacheCleanAfterInstall", "npmCacheCleanUseForce":
		return count(out, "npm cache clean --force") >= 1
	case "apkAddUseNoCache":
		return count(out, "apk add") <= count(out, "--no-cache")
	case "gemUpdateNoDocument", "gemUpdateSystemRmRootGem":
		return count(out, "gem install") <= count(out, "--no-document")
	case "yumInstallRmVarCacheYum", "yumInstallForceYes":
		return count(out, "yum clean all") >= 1
	}
	return true // a smell whittle has no rule for
}
