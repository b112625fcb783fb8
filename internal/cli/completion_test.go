package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/fix"
	"github.com/whittle/whittle/pkg/rules"
)

// complete runs cobra's hidden __complete command, as the shell scripts of
// `whittle completion SHELL` do, and returns the candidates ("value" or
// "value\tdescription") and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Execute(context.Background(), append([]string{cobra.ShellCompRequestCmd}, args...), nil, &out, &errb); code != ExitOK {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// values drops the descriptions of candidates.
func values(cands []string) []string {
	var out []string
	for _, c := range cands {
		v, _, _ := strings.Cut(c, "\t")
		out = append(out, v)
	}
	return out
}

// TestCompleteChoiceFlags: --format (each command's own values),
// --fail-level and --compression complete to the words their usage lists,
// no file names, and the command accepts each of them.
func TestCompleteChoiceFlags(t *testing.T) {
	app, err := filepath.Abs(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir) // no .whittle.yaml or .dive-ci around
	if err := os.WriteFile("Dockerfile", []byte("FROM alpine:3.19\nRUN apk add --no-cache curl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd, flag string
		want      []string
		run       []string // the command, to which --flag VALUE is added
	}{
		{"analyze", "format", []string{"text", "json", "html"}, []string{"analyze", app}},
		{"lint", "format", []string{"text", "json", "sarif"}, []string{"lint", "Dockerfile"}},
		{"lint", "fail-level", []string{"info", "warning", "error", "none"}, []string{"lint", "Dockerfile"}},
		{"squash", "format", []string{"text", "json"}, []string{"squash", "--dry-run", app}},
		{"squash", "compression", []string{"gzip", "zstd"}, []string{"squash", "--dry-run", app}},
		{"fleet", "format", []string{"text", "json", "html"}, []string{"fleet", app}},
	} {
		cands, directive := complete(t, c.cmd, "--"+c.flag, "")
		got := values(cands)
		// The usage may name more values than this table knows (a new
		// format): every one must be offered, and accepted.
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s --%s completes to %q, which lacks %q", c.cmd, c.flag, got, w)
			}
		}
		if directive != ":4" { // ShellCompDirectiveNoFileComp
			t.Errorf("%s --%s: directive %s, want :4 (no file names)", c.cmd, c.flag, directive)
		}
		for _, v := range append(got, "nonsense") {
			var out, errb bytes.Buffer
			Execute(context.Background(), append(slices.Clone(c.run), "--"+c.flag, v), nil, &out, &errb)
			refused := strings.Contains(errb.String(), "unknown") || strings.Contains(errb.String(), "--"+c.flag)
			if refused != (v == "nonsense") {
				t.Errorf("%s --%s %s: stderr %q", c.cmd, c.flag, v, errb.String())
			}
		}
	}
	// A prefix narrows the list; descriptions go with the values.
	if cands, _ := complete(t, "analyze", "--format", "h"); !slices.Equal(cands, []string{"html\tone self-contained page with charts"}) {
		t.Errorf("--format h: %q", cands)
	}
}

// TestCompletePrune: --prune offers "caches" and every cache category, the
// last item of a comma-separated list completed after the ones given.
func TestCompletePrune(t *testing.T) {
	cands, _ := complete(t, "squash", "app.tar", "--prune", "")
	if want := append([]string{"caches"}, account.CacheCategories()...); !slices.Equal(values(cands), want) {
		t.Errorf("--prune: %q, want %q", values(cands), want)
	}
	cands, _ = complete(t, "squash", "app.tar", "--prune", "apt-lists,ap")
	if want := []string{"apt-lists,apt-archives", "apt-lists,apk-cache"}; !slices.Equal(values(cands), want) {
		t.Errorf("--prune apt-lists,ap: %q, want %q", values(cands), want)
	}
	cands, _ = complete(t, "squash", "app.tar", "--prune", "tmp,apt-lists,")
	if got := values(cands); slices.Contains(got, "tmp,apt-lists,tmp") || !slices.Contains(got, "tmp,apt-lists,pip-cache") {
		t.Errorf("--prune tmp,apt-lists,: %q", got)
	}
}

// TestCompleteRules: lint's --rule and --skip offer every rule ID with its
// name, hadolint's IDs once "DL" is typed; fix's only the rules it repairs.
func TestCompleteRules(t *testing.T) {
	var want []string
	for _, m := range rules.Metas() {
		want = append(want, m.ID+"\t"+m.Name)
	}
	for _, flag := range []string{"--rule", "--skip", "--ignore", "--error", "--warning", "--info", "--style"} {
		if cands, _ := complete(t, "lint", flag, ""); !slices.Equal(cands, want) {
			t.Errorf("lint %s: %q, want %q", flag, cands, want)
		}
	}
	cands, _ := complete(t, "lint", "--rule", "WH104,dl300")
	if !slices.Equal(cands, []string{"WH104,DL3009\tWH201 apt-lists-not-removed"}) {
		t.Errorf("lint --rule WH104,dl300: %q", cands)
	}
	// hadolint's --failure-threshold: its six levels, each accepted.
	if cands, _ := complete(t, "lint", "--failure-threshold", ""); !slices.Equal(values(cands), []string{"error", "warning", "info", "style", "ignore", "none"}) {
		t.Errorf("lint --failure-threshold: %q", values(cands))
	}
	cands, _ = complete(t, "fix", "Dockerfile", "--skip", "")
	if got := values(cands); !slices.Equal(got, fix.Rules()) {
		t.Errorf("fix --skip: %q, want the repairable rules %q", got, fix.Rules())
	}
}

// TestCompleteTarget: analyze --target offers the stages of the
// --dockerfile given, by name and by index.
func TestCompleteTarget(t *testing.T) {
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte("FROM golang:1.22 AS build\nRUN go build\nFROM scratch\nCOPY --from=build /x /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cands, _ := complete(t, "analyze", "app.tar", "--dockerfile", df, "--target", "")
	want := []string{"build\tstage 0, FROM golang:1.22", "0\tFROM golang:1.22", "1\tFROM scratch"}
	if !slices.Equal(cands, want) {
		t.Errorf("--target: %q, want %q", cands, want)
	}
	if cands, _ := complete(t, "analyze", "app.tar", "--target", ""); len(cands) != 0 {
		t.Errorf("--target without --dockerfile: %q", cands)
	}
}

// TestCompleteJSON: analyze --json (dive's export) completes to file names
// ending .json, and to directories, as cobra's filename filter does.
func TestCompleteJSON(t *testing.T) {
	for _, flag := range []string{"--json", "-j"} {
		cands, directive := complete(t, "analyze", "app.tar", flag, "")
		if want := []string{"json"}; !slices.Equal(cands, want) {
			t.Errorf("%s: %q, want %q", flag, cands, want)
		}
		if want := ":" + strconv.Itoa(int(cobra.ShellCompDirectiveFilterFileExt)); directive != want {
			t.Errorf("%s: directive %s, want %s (filter by extension)", flag, directive, want)
		}
	}
}
