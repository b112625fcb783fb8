package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// The integrations at the repository root run whittle's commands with
// flags: these tests parse them and check them against the command tree,
// so that a renamed flag or command breaks a test, not a user's CI.

// actionFile is the part of a GitHub Action's metadata (action.yml) the
// tests check.
type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Required    *bool   `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name             string            `yaml:"name"`
			If               string            `yaml:"if"`
			Uses             string            `yaml:"uses"`
			With             map[string]string `yaml:"with"`
			Shell            string            `yaml:"shell"`
			Run              string            `yaml:"run"`
			Env              map[string]string `yaml:"env"`
			WorkingDirectory string            `yaml:"working-directory"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// preCommitHook is one entry of .pre-commit-hooks.yaml.
type preCommitHook struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Entry       string   `yaml:"entry"`
	Language    string   `yaml:"language"`
	Files       string   `yaml:"files"`
	Types       []string `yaml:"types"`
}

// readRootYAML decodes the YAML file name at the repository root into v,
// refusing keys v does not know.
func readRootYAML(t *testing.T, name string, v any) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

var (
	// inputRef is a reference to an input in an expression.
	inputRef = regexp.MustCompile(`inputs\.([a-z][a-z0-9-]*)`)
	// whittleCall is a call of whittle in a script (whittle CMD, or
	// "$DIR/whittle" CMD): its subcommand.
	whittleCall = regexp.MustCompile(`(?m)(?:^|\s)(?:"[^"\s]*/)?whittle"?[ \t]+([a-z]+)`)
	// longFlag is a long flag in a script.
	longFlag = regexp.MustCompile(`(?:^|[\s(])(--[a-z][a-z-]*)`)
)

// subcommand finds the whittle command name.
func subcommand(t *testing.T, name string) *cobra.Command {
	t.Helper()
	cmd, _, err := NewRootCmd().Find([]string{name})
	if err != nil || cmd.Name() != name {
		t.Fatalf("whittle has no command %q", name)
	}
	return cmd
}

func TestGitHubAction(t *testing.T) {
	var a actionFile
	readRootYAML(t, "action.yml", &a)
	if a.Name == "" || a.Description == "" {
		t.Error("action.yml needs a name and a description")
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", a.Runs.Using)
	}
	for _, want := range []string{"dockerfiles", "fail-level", "image", "max-wasted-bytes", "max-wasted-ratio", "min-efficiency"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("action.yml has no input %q", want)
		}
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %q has no description", name)
		}
		if in.Required == nil || *in.Required && in.Default != nil || !*in.Required && in.Default == nil {
			t.Errorf("input %q: say required, and give a default exactly when it is optional", name)
		}
	}
	if d := a.Inputs["fail-level"].Default; d == nil || !slices.Contains([]string{"info", "warning", "error", "none"}, *d) {
		t.Errorf("fail-level's default is not a level lint takes: %v", d)
	}

	used := map[string]bool{}
	calls := map[string]bool{}
	var setupGo, install bool
	for i, s := range a.Runs.Steps {
		where := fmt.Sprintf("step %d (%s)", i+1, s.Name)
		if (s.Uses == "") == (s.Run == "") {
			t.Errorf("%s: wants exactly one of uses and run", where)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("%s: a composite run step needs a shell", where)
		}
		// Inputs reach scripts through env only: an expression pasted
		// into a script is a script injection.
		if strings.Contains(s.Run, "${{") {
			t.Errorf("%s: expression in run; pass it through env", where)
		}
		texts := []string{s.If, s.WorkingDirectory, s.Run}
		texts = slices.AppendSeq(texts, maps.Values(s.With))
		texts = slices.AppendSeq(texts, maps.Values(s.Env))
		for _, text := range texts {
			for _, m := range inputRef.FindAllStringSubmatch(text, -1) {
				if _, ok := a.Inputs[m[1]]; !ok {
					t.Errorf("%s: uses undeclared input %q", where, m[1])
				}
				used[m[1]] = true
			}
		}
		if strings.HasPrefix(s.Uses, "actions/setup-go@") {
			setupGo = true
			if !strings.Contains(s.With["go-version-file"], "github.action_path") {
				t.Errorf("%s: setup-go should read the action's own go.mod, not the caller's", where)
			}
		}
		if strings.Contains(s.Run, "go install ./cmd/whittle") {
			install = true
			if !strings.Contains(s.WorkingDirectory, "github.action_path") {
				t.Errorf("%s: go install must run in the action's own directory", where)
			}
		}
		// Every long flag of a step that runs whittle CMD is a flag of CMD.
		m := whittleCall.FindAllStringSubmatch(s.Run, -1)
		if len(m) == 0 {
			continue
		}
		cmds := map[string]*cobra.Command{}
		for _, c := range m {
			cmds[c[1]] = subcommand(t, c[1])
			calls[c[1]] = true
		}
		for _, f := range longFlag.FindAllStringSubmatch(s.Run, -1) {
			name := strings.TrimPrefix(f[1], "--")
			found := false
			for _, c := range cmds {
				found = found || c.Flags().Lookup(name) != nil
			}
			if !found {
				t.Errorf("%s: no command it runs (%v) has the flag %s", where, slices.Sorted(maps.Keys(cmds)), f[1])
			}
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %q is declared but no step uses it", name)
		}
	}
	if !setupGo || !install {
		t.Errorf("the action must set up Go (%t) and go install whittle from its own path (%t)", setupGo, install)
	}
	for _, want := range []string{"lint", "analyze"} {
		if !calls[want] {
			t.Errorf("the action never runs whittle %s", want)
		}
	}
}

func TestPreCommitHooks(t *testing.T) {
	var hooks []preCommitHook
	readRootYAML(t, ".pre-commit-hooks.yaml", &hooks)
	ids := map[string]bool{}
	for _, h := range hooks {
		if h.ID == "" || h.Name == "" || h.Entry == "" || h.Language == "" {
			t.Errorf("hook %+v: id, name, entry and language are required", h)
		}
		if ids[h.ID] {
			t.Errorf("hook id %q twice", h.ID)
		}
		ids[h.ID] = true
		if h.Language != "golang" {
			t.Errorf("%s: language %q, want golang (pre-commit builds whittle from this repository)", h.ID, h.Language)
		}
		args := strings.Fields(h.Entry)
		if len(args) < 2 || args[0] != "whittle" {
			t.Fatalf("%s: entry %q does not run whittle CMD", h.ID, h.Entry)
		}
		cmd := subcommand(t, args[1])
		for _, a := range args[2:] {
			if name, ok := strings.CutPrefix(a, "--"); ok && cmd.Flags().Lookup(strings.SplitN(name, "=", 2)[0]) == nil {
				t.Errorf("%s: whittle %s has no flag %s", h.ID, args[1], a)
			}
		}
	}
	if !ids["whittle-lint"] {
		t.Error("no whittle-lint hook")
	}
	for _, h := range hooks {
		// pre-commit picks the files by identify's tags; "dockerfile" is
		// the tag hadolint's hook uses (Dockerfile, Dockerfile.*,
		// *.dockerfile, Containerfile).
		if h.Files == "" && !slices.Contains(h.Types, "dockerfile") {
			t.Errorf("%s: neither files nor types: [dockerfile] select Dockerfiles", h.ID)
		}
		if h.Files != "" {
			if _, err := regexp.Compile(h.Files); err != nil {
				t.Errorf("%s: files: %v", h.ID, err)
			}
		}
	}
}
