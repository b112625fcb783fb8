//go:build shared

package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
)

// corpusFiles returns the 119 real Dockerfiles of shared/corpus.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(compatDir(t)), "corpus")
	var files []string
	for _, sub := range []string{"naive", "optimized"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) != 119 {
		t.Fatalf("corpus has %d files, want 119", len(files))
	}
	return files
}

func lintFile(t testing.TB, path string) []Finding {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dockerfile.Parse(filepath.Base(path), b)
	if err != nil {
		t.Fatalf("%s: parsing: %v", path, err)
	}
	fs, err := Lint(context.Background(), f)
	if err != nil {
		t.Fatalf("%s: linting: %v", path, err)
	}
	return fs
}

// optimizedExpected lists the findings at warning or above that whittle
// makes on the maintainers' images of corpus/optimized, as "file:line:rule".
// Each was read by hand and names real waste (see TestCorpus).
var optimizedExpected = map[string]string{
	// microdnf install gnupg2 (to verify gosu) with no `microdnf clean all`
	// in that RUN: the metadata cache stays in the layer.
	"MariaDB__mariadb-docker__11.8-ubi_Dockerfile.Dockerfile:28:WH403": "microdnf cache left",
	// apt-get install -y of the MongoDB packages without
	// --no-install-recommends, and nothing configures recommends off.
	"docker-library__mongo__8.0_Dockerfile.Dockerfile:99:WH202": "recommends installed",
	// apk add --virtual .erlang-rundeps without --no-cache: apk fetches the
	// index again and stores it in /var/cache/apk.
	"erlang__docker-erlang-otp__28_alpine_Dockerfile.Dockerfile:62:WH301": "apk index cached",
	// The base stage runs apt-get update && apt-get install without
	// removing the lists, and the default target (validate) is built FROM it.
	"moby__buildkit__hack_dockerfiles_generated-files.Dockerfile.Dockerfile:12:WH201": "apt lists left",
}

// modelRules are the rules whose corpus expectations live in
// layer_corpus_test.go and base_test.go, next to them.
var modelRules = map[string]bool{"WH101": true, "WH102": true, "WH103": true, "WH701": true}

func TestCorpus(t *testing.T) {
	got := map[string]bool{}
	for _, path := range corpusFiles(t) {
		fs := lintFile(t, path)
		for _, fd := range fs {
			if fd.Line < 1 || fd.Column < 1 || fd.EndLine < fd.Line || fd.Message == "" || fd.Doc == "" {
				t.Errorf("%s: malformed finding %+v", path, fd)
			}
			if os.Getenv("WHITTLE_CORPUS_DUMP") != "" {
				t.Logf("%s:%d:%d: %s %s %s", filepath.Base(path), fd.Line, fd.Column, fd.Severity, fd.Rule, fd.Message)
			}
		}
		if !strings.Contains(path, string(filepath.Separator)+"optimized"+string(filepath.Separator)) {
			continue
		}
		for _, fd := range fs {
			if fd.Severity < Warning || modelRules[fd.Rule] {
				continue
			}
			key := filepath.Base(path) + ":" + itoa(fd.Line) + ":" + fd.Rule
			got[key] = true
			if _, ok := optimizedExpected[key]; !ok {
				t.Errorf("unexpected finding on an optimized image: %s: %s", key, fd.Message)
			}
		}
	}
	for k := range optimizedExpected {
		if !got[k] {
			t.Errorf("expected finding %s is gone", k)
		}
	}
}

// parsedShared parses a file for helpers that need instruction ranges.
func parsedShared(t testing.TB, path string) *shared {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dockerfile.Parse(filepath.Base(path), b)
	if err != nil {
		t.Fatal(err)
	}
	return newShared(f)
}
