//go:build shared

package rules

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parfumRule maps each size smell of PARFUM (docker-parfum's binnacle rules
// and the hadolint rules it embeds) to the whittle rule that finds it.
var parfumRule = map[string]string{
	"aptGetInstallUseNoRec":           "WH202",
	"aptGetInstallThenRemoveAptLists": "WH201",
	// the name PARFUM's experiment logs use for the same rule
	"ruleAptGetInstallThenRemoveAptLists": "WH201",
	"aptGetUpdatePrecedesInstall":         "WH204",
	"apkAddUseNoCache":                    "WH301",
	"pipUseNoCacheDir":                    "WH501",
	"npmCacheCleanAfterInstall":           "WH502",
	"npmCacheCleanUseForce":               "WH502",
	"yarnCacheCleanAfterInstall":          "WH503",
	"yumInstallRmVarCacheYum":             "WH401",
	"gemUpdateNoDocument":                 "WH504",
	"tarSomethingRmTheSomething":          "WH602",
	"rmRecursiveAfterMktempD":             "WH601",
	"DL3020":                              "WH603",
}

// parfumAlt is the other whittle rule that finds a PARFUM smell in another
// shape: an archive downloaded by one RUN and extracted by a later one is
// WH103 (the download's layer keeps it), not WH602.
var parfumAlt = map[string]string{"tarSomethingRmTheSomething": "WH103"}

// TestParfumSmells checks that whittle finds every size smell planted in
// PARFUM's smelly Dockerfiles (testdata/parfum_smells.tsv, see
// testdata/README.md): the mapped rule fires on the instruction holding the
// smell's line, at any severity. Rows whose rule column is "none" are
// smells whittle deliberately does not report, rows with "miss" smells it
// should find and does not yet; their reason is in the row.
func TestParfumSmells(t *testing.T) {
	dir := filepath.Join(compatDir(t), "parfum", "smelly")
	rows, err := readParfumRows(filepath.Join("testdata", "parfum_smells.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	cache := map[string][]Finding{}
	parsed = map[string]*shared{}
	found, waived := 0, 0
	var missed []string
	for _, r := range rows {
		if want := parfumRule[r.smell]; r.rule != "none" && r.rule != "miss" && r.rule != want && r.rule != parfumAlt[r.smell] {
			t.Errorf("%s:%d: %s maps to %s, row says %s", r.file, r.line, r.smell, want, r.rule)
		}
		if r.rule == "none" {
			waived++
			continue
		}
		if r.rule == "miss" {
			missed = append(missed, fmt.Sprintf("%s:%d %s", r.file, r.line, r.smell))
			continue
		}
		fs, ok := cache[r.file]
		if !ok {
			fs = lintFile(t, filepath.Join(dir, r.file))
			cache[r.file] = fs
		}
		at := r.line
		if strings.HasPrefix(r.reason, "at=") {
			// whittle reports the smell where its bytes are committed: the
			// earlier RUN that downloaded the archive or ran apt-get update.
			n, err := strconv.Atoi(strings.TrimPrefix(r.reason, "at="))
			if err != nil {
				t.Fatalf("bad row %+v", r)
			}
			at = n
		}
		hit := false
		for _, f := range fs {
			if f.Rule == r.rule && instructionHolds(t, filepath.Join(dir, r.file), at, f.Line) {
				hit = true
			}
		}
		if hit {
			found++
		} else {
			t.Errorf("%s:%d: PARFUM smell %s: whittle %s did not fire", r.file, r.line, r.smell, r.rule)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 60 {
		t.Errorf("smelly has %d files, want 60", len(files))
	}
	for _, f := range files {
		lintFile(t, f) // every file parses and lints
	}
	fmt.Printf("parfum smells: %d found by whittle, %d deliberately not reported, %d known misses, of %d\n", found, waived, len(missed), len(rows))
	t.Logf("parfum smells: %d found, %d deliberately not reported, of %d; known misses: %v", found, waived, len(rows), missed)
}

type parfumRow struct {
	file   string
	line   int
	smell  string
	rule   string
	reason string
}

func readParfumRows(path string) ([]parfumRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []parfumRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cols := strings.Split(l, "\t")
		if len(cols) < 4 {
			return nil, fmt.Errorf("bad row %q", l)
		}
		n, err := strconv.Atoi(cols[1])
		if err != nil {
			return nil, fmt.Errorf("bad row %q: %w", l, err)
		}
		r := parfumRow{file: cols[0], line: n, smell: cols[2], rule: cols[3]}
		if len(cols) > 4 {
			r.reason = cols[4]
		}
		if (r.rule == "none" || r.rule == "miss") && r.reason == "" {
			return nil, fmt.Errorf("row %q: a waived smell needs a reason", l)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// parsed caches parsed files for instructionHolds within one test.
var parsed map[string]*shared

// instructionHolds reports whether the instruction starting on line start
// of the file also covers line l.
func instructionHolds(t *testing.T, path string, start, l int) bool {
	t.Helper()
	sh, ok := parsed[path]
	if !ok {
		sh = parsedShared(t, path)
		parsed[path] = sh
	}
	in := sh.instructionAt(start)
	return in != nil && in.Range.Start.Line <= l && l <= in.Range.End.Line
}

// TestParfumPairs checks PARFUM's 12 real repairs (shared/compat/parfum/
// pairs): for every size smell PARFUM found in original.Dockerfile the mapped
// whittle rule fires there, and on PARFUM's repaired.Dockerfile it fires
// fewer times (PARFUM fixes the smells it names).
func TestParfumPairs(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(compatDir(t), "parfum", "pairs", "*"))
	if err != nil || len(dirs) != 12 {
		t.Fatalf("pairs: %d dirs, %v", len(dirs), err)
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "smells.txt"))
		if err != nil {
			t.Fatal(err)
		}
		count := func(fs []Finding, rule string) int {
			n := 0
			for _, f := range fs {
				if f.Rule == rule {
					n++
				}
			}
			return n
		}
		orig := lintFile(t, filepath.Join(d, "original.Dockerfile"))
		fixed := lintFile(t, filepath.Join(d, "repaired.Dockerfile"))
		for _, smell := range strings.Fields(string(b)) {
			rule, ok := parfumRule[smell]
			if !ok {
				continue // not a size smell (curl -f, ...)
			}
			if n := count(orig, rule); n == 0 {
				t.Errorf("%s: PARFUM smell %s: whittle %s does not fire on the original", filepath.Base(d), smell, rule)
			} else if m := count(fixed, rule); m >= n {
				t.Errorf("%s: %s fires %d times on PARFUM's repair, %d on the original", filepath.Base(d), rule, m, n)
			}
		}
	}
}
