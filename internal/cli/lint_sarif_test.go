package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/internal/report"
)

// cmdSARIFCheck checks that a file is a SARIF 2.1.0 log as whittle writes
// it: it parses with go-sarif, has one run by whittle whose results each
// name a rule the driver lists (with a help URI), at a location with a file
// and a region starting at line 1 or later.
func cmdSARIFCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sarifcheck FILE")
	}
	data := ts.ReadFile(args[0])
	log, err := sarif.FromString(data)
	if err != nil {
		ts.Fatalf("sarifcheck: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		ts.Fatalf("sarifcheck: %v", err)
	}
	if raw["version"] != "2.1.0" || raw["$schema"] == nil {
		ts.Fatalf("sarifcheck: version %v, schema %v", raw["version"], raw["$schema"])
	}
	if len(log.Runs) != 1 || log.Runs[0].Tool.Driver == nil || log.Runs[0].Tool.Driver.Name != "whittle" {
		ts.Fatalf("sarifcheck: want one run by whittle")
	}
	run := log.Runs[0]
	rules := map[string]bool{}
	for _, r := range run.Tool.Driver.Rules {
		if r.HelpURI == nil || *r.HelpURI == "" {
			ts.Fatalf("sarifcheck: rule %s has no help URI", r.ID)
		}
		rules[r.ID] = true
	}
	for _, res := range run.Results {
		if res.RuleID == nil || !rules[*res.RuleID] {
			ts.Fatalf("sarifcheck: result for an unlisted rule")
		}
		if res.Level == nil || (*res.Level != "note" && *res.Level != "warning" && *res.Level != "error") {
			ts.Fatalf("sarifcheck: bad level")
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil {
			ts.Fatalf("sarifcheck: result without location")
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation == nil || pl.ArtifactLocation.URI == nil || pl.Region == nil ||
			pl.Region.StartLine == nil || *pl.Region.StartLine < 1 {
			ts.Fatalf("sarifcheck: result without file or region")
		}
	}
	ts.Logf("sarifcheck: %d rules, %d results", len(rules), len(run.Results))
}

// fakeGit answers `git rev-parse --show-toplevel` with top, or fails when
// top is "", and counts its calls.
type fakeGit struct {
	top   string
	calls int
}

func (g *fakeGit) run(_ context.Context, _ string, args ...string) ([]byte, error) {
	g.calls++
	if strings.Join(args, " ") != "rev-parse --show-toplevel" {
		return nil, fmt.Errorf("unexpected git %q", args)
	}
	if g.top == "" {
		return nil, errors.New("fatal: not a git repository")
	}
	return []byte(g.top + "\n"), nil
}

// TestLintSARIFGitRoot runs lint -f sarif in a work tree (a .git directory
// and a fake git): files are named relative to git's top level, a file
// outside it by its file:// URI; without a .git, git is not asked.
func TestLintSARIFGitRoot(t *testing.T) {
	repo := realPath(t.TempDir())
	for _, d := range []string{".git", "svc/api"} {
		if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	df := []byte("FROM alpine:3.20\nRUN apk add curl\n")
	outside := filepath.Join(realPath(t.TempDir()), "Dockerfile")
	for _, p := range []string{filepath.Join(repo, "svc/api/Dockerfile"), outside} {
		if err := os.WriteFile(p, df, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(repo, "svc"))

	run := func(g *fakeGit, args ...string) *sarif.Run {
		t.Helper()
		cmd := newCmdLint(&lintOptions{git: g.run})
		cmd.SilenceUsage, cmd.SilenceErrors = true, true // as under the root
		var out, errOut bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		cmd.SetArgs(append([]string{"-f", "sarif"}, args...))
		err := cmd.ExecuteContext(context.Background())
		var ec *exitCodeError
		if !errors.As(err, &ec) || ec.code != ExitFail {
			t.Fatalf("lint: %v, stderr %s", err, errOut.String())
		}
		log, err := sarif.FromBytes(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return log.Runs[0]
	}
	location := func(r *sarif.Run, i int) (string, string) {
		loc := r.Results[i].Locations[0].PhysicalLocation.ArtifactLocation
		base := ""
		if loc.URIBaseId != nil {
			base = *loc.URIBaseId
		}
		return *loc.URI, base
	}

	g := &fakeGit{top: repo}
	r := run(g, "api/Dockerfile", outside)
	if g.calls != 1 {
		t.Errorf("git asked %d times", g.calls)
	}
	root := r.OriginalUriBaseIDs[report.SrcRootID]
	if root == nil || *root.URI != "file://"+filepath.ToSlash(repo)+"/" {
		t.Errorf("source root %+v, want file://%s/", root, repo)
	}
	if uri, base := location(r, 0); uri != "svc/api/Dockerfile" || base != report.SrcRootID {
		t.Errorf("inside the work tree: %q based on %q", uri, base)
	}
	if uri, base := location(r, 1); uri != "file://"+filepath.ToSlash(outside) || base != "" {
		t.Errorf("outside the work tree: %q based on %q", uri, base)
	}

	// git failing (not installed, a bare repository): names as given.
	r = run(&fakeGit{}, "api/Dockerfile")
	if uri, base := location(r, 0); uri != "api/Dockerfile" || base != "" || r.OriginalUriBaseIDs != nil {
		t.Errorf("without a root: %q based on %q, bases %v", uri, base, r.OriginalUriBaseIDs)
	}

	// --sarif-root wins, and git is not asked.
	g = &fakeGit{top: repo}
	r = run(g, "--sarif-root", "api", "api/Dockerfile")
	if uri, _ := location(r, 0); uri != "Dockerfile" || g.calls != 0 {
		t.Errorf("--sarif-root api: %q, git asked %d times", uri, g.calls)
	}

	// No .git here or above: git is not run.
	t.Chdir(filepath.Dir(outside))
	g = &fakeGit{top: repo}
	r = run(g, "Dockerfile")
	if uri, _ := location(r, 0); uri != "Dockerfile" || g.calls != 0 {
		t.Errorf("outside any work tree: %q, git asked %d times", uri, g.calls)
	}
}

func TestFileURI(t *testing.T) {
	for in, want := range map[string]string{
		"/":                  "file:///",
		"/src/my app/a%b#c?": "file:///src/my%20app/a%25b%23c%3F",
		"/srv/Dockerfile":    "file:///srv/Dockerfile",
	} {
		if got := fileURI(in); got != want {
			t.Errorf("fileURI(%q) = %q, want %q", in, got, want)
		}
	}
}
