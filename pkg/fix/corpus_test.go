//go:build shared

package fix

import (
	"bytes"
	"github.com/whittle/whittle/internal/testenv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// corpusDir is the shared test data beside the repository (see
// internal/testenv); a missing directory fails the test.
func corpusDir(t testing.TB) string { return testenv.SharedDir(t) }

func corpusFiles(t *testing.T, pattern string) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), pattern))
	if len(files) == 0 {
		t.Fatalf("no files match %s in the shared test data", pattern)
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
		m, _ := filepath.Glob(filepath.Join(corpusDir(t), p))
		files = append(files, m...)
	}
	if len(files) < 119 {
		t.Fatalf("found %d shared Dockerfiles, want at least 119", len(files))
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
			// PARFUM's repairs include unsafe ones (recommends).
			res, err := Fix(src, WithUnsafeFixes(true))
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

var tarName = regexp.MustCompile(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tbz|tar\.xz|txz)$`)

// parfumRepaired checks one PARFUM smell in whittle's output by counting
// the repair's marks, an oracle independent of Fix's code.
func parfumRepaired(smell string, in, out []byte) bool {
	if name, ok := strings.CutPrefix(smell, "archiveLeft:"); ok {
		// Some line removes the archive.
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "rm ") && strings.Contains(line, name) && !strings.Contains(line, "tar ") {
				return true
			}
		}
		return false
	}
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
	case "yarnCacheCleanAfterInstall":
		return count(out, "yarn cache clean") >= 1
	case "addToCopy":
		// No ADD of plain files left: every ADD line names an archive or URL.
		for _, line := range strings.Split(string(out), "\n") {
			// A glob ending without an extension may match an archive that
			// ADD extracts: whittle keeps ADD there, on purpose.
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(line)), "ADD ") && !strings.Contains(line, "://") &&
				!tarName.MatchString(strings.Fields(line)[1]) && !strings.HasSuffix(strings.Fields(line)[1], "*") {
				return false
			}
		}
		return true
	case "yumInstallRmVarCacheYum", "yumInstallForceYes":
		return count(out, "yum clean all") >= 1
	}
	return true // a smell whittle has no rule for
}

// TestParfumRepaired compares whittle with PARFUM's repaired/ files: the
// smells PARFUM repaired (inferred from what it added to the smelly/ file
// of the same name) are repaired in whittle's output too, which also keeps
// every directive PARFUM dropped.
func TestParfumRepaired(t *testing.T) {
	files := corpusFiles(t, "compat/parfum/repaired/*")
	compared := 0
	for _, rep := range files {
		smellyPath := filepath.Join(filepath.Dir(filepath.Dir(rep)), "smelly", filepath.Base(rep))
		src, err := os.ReadFile(smellyPath)
		if err != nil {
			continue // no smelly counterpart
		}
		theirs, err := os.ReadFile(rep)
		if err != nil {
			t.Fatal(err)
		}
		compared++
		t.Run(filepath.Base(rep), func(t *testing.T) {
			res, err := Fix(src, WithUnsafeFixes(true))
			if err != nil {
				t.Fatal(err)
			}
			for _, smell := range inferSmells(src, theirs) {
				if parfumRepaired(smell, src, res.Output) {
					continue
				}
				if smell == "ruleAptGetInstallThenRemoveAptLists" && installsWithoutUpdate(res.Output) {
					// PARFUM's repair breaks the build there: a later RUN
					// installs with apt relying on the lists it removed.
					t.Logf("lists kept: a later RUN installs without apt-get update")
					continue
				}
				t.Errorf("PARFUM repaired %s, whittle did not:\n%s", smell, res.Output)
			}
			checkGuarantees(t, src, res.Output, WithUnsafeFixes(true))
		})
	}
	if compared == 0 {
		t.Fatal("no repaired file has a smelly counterpart")
	}
}

// inferSmells names the smells PARFUM repaired by the marks its repair
// added.
func inferSmells(smelly, repaired []byte) []string {
	marks := []struct{ mark, smell string }{
		{"--no-install-recommends", "aptGetInstallUseNoRec"},
		{"/var/lib/apt/lists", "ruleAptGetInstallThenRemoveAptLists"},
		{"--no-cache-dir", "pipUseNoCacheDir"},
		{"npm cache clean", "npmCacheCleanAfterInstall"},
		{"--no-cache", "apkAddUseNoCache"},
		{"yum clean", "yumInstallRmVarCacheYum"},
		{"--no-document", "gemUpdateNoDocument"},
	}
	var out []string
	for _, m := range marks {
		if bytes.Count(repaired, []byte(m.mark)) > bytes.Count(smelly, []byte(m.mark)) {
			out = append(out, m.smell)
		}
	}
	if bytes.Count(repaired, []byte("\nADD ")) < bytes.Count(smelly, []byte("\nADD ")) {
		out = append(out, "addToCopy")
	}
	// Archives PARFUM deletes: "rm NAME.tar.gz" on lines it added.
	for _, line := range strings.Split(string(repaired), "\n") {
		if strings.Contains(string(smelly), line) {
			continue
		}
		for _, w := range strings.Fields(line) {
			if tarName.MatchString(strings.TrimRight(w, ";")) && strings.Contains(line, "rm "+w) {
				out = append(out, "archiveLeft:"+strings.TrimRight(w, ";"))
			}
		}
	}
	return out
}

// installsWithoutUpdate reports whether a RUN after one that runs apt-get
// update installs with apt-get without its own update.
func installsWithoutUpdate(src []byte) bool {
	f, err := dockerfile.Parse("x", src)
	if err != nil {
		return false
	}
	updated := false
	for in := range f.All() {
		if in.Kind != dockerfile.KindRun {
			continue
		}
		up := strings.Contains(in.Original, "apt-get update")
		if updated && !up && strings.Contains(in.Original, "apt-get install") {
			return true
		}
		updated = updated || up
	}
	return false
}
