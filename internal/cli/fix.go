package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/config"
	"github.com/whittle/whittle/pkg/fix"
	"github.com/whittle/whittle/pkg/rules"
)

// fixConfig is the fix section of .whittle.yaml.
type fixConfig struct {
	// Enable, when set, makes only these repairs; Disable leaves these
	// out. IDs are whittle's (WH201) or hadolint's (DL3009).
	Enable  []string `yaml:"enable"`
	Disable []string `yaml:"disable"`
}

// fixFlags are the command line flags of `whittle fix`.
type fixFlags struct {
	config    string
	diff      bool
	write     bool
	check     bool
	quiet     bool
	rules     []string
	skip      []string
	baseImage string
	unsafe    bool
	force     bool
	// noPragmas disregards the inline ignore comments.
	noPragmas bool

	// --verify and its build flags.
	verify     bool
	context    string
	engine     string
	network    string
	target     string
	buildArgs  []string
	keepImages bool
	format     string
}

// NewCmdFix builds `whittle fix`.
func NewCmdFix() *cobra.Command {
	var fl fixFlags
	cmd := &cobra.Command{
		Use:   "fix DOCKERFILE | -",
		Short: "Repair a Dockerfile's size problems with minimal edits",
		Long: `Repair the size problems whittle lint finds, as minimal edits to the original
text: comments, directives, heredocs, continuation style and indentation are
kept, and lines that need no change stay byte-identical. Fix applies the
repairs that lint's findings carry, and only those: what lint reports as
fixable, fix fixes; what fix changes, lint reported.

Every repair is safe or unsafe. A safe repair cannot change what the build
installs, runs or fails on, only what stays in a layer (a cache removed after
its last use in the RUN that made it, RUNs merged where the merge keeps the
build's meaning, COPY --chown): fix applies these by default. An unsafe repair
may change the package set, the network traffic or the build's outcome
(--no-install-recommends, --auto-remove, apk --no-cache where a later command
reads the index): fix applies it only with --unsafe-fixes, and otherwise
shows it with the reason it was held back. A repair next to a comment that
speaks about what it would change ("# we want recommends") is never applied.
A base image is never switched unless --base-image names one.

The repaired Dockerfile goes to stdout (or a unified diff with --diff, or back
to the file with --write). The summary on stderr lists what was changed (lines
of the input), what was held back and why, and what lint still reports that
has no repair (lines of the repaired file), so that fix then lint in CI is
never a dead end. DOCKERFILE "-" reads stdin.

Configuration: the fix: section of .whittle.yaml (searched from the current
directory up, or --config): enable: [IDs] and disable: [IDs]. --rule replaces
enable; --skip adds to disable. Lint's inline ignores ("# whittle
ignore=WH202") also keep fix away from an instruction, unless
--disable-ignore-pragma (as lint's) disregards them.

--write replaces the file through a temporary file in its directory and a
rename: the file keeps its mode, a symbolic link is followed, a read-only
file is refused unless --force, and a hard link to the file is broken (the
other names keep the old text), which fix says on stderr.

--verify proves a repair: it builds the original and the repaired Dockerfile
with the local container engine (the docker CLI with a Docker Engine at
DOCKER_HOST or its default socket; else buildah on PATH; --engine chooses),
in the build context (--context, default the Dockerfile's directory), never
writing into it, compares the two images as whittle diff does, and prints
the bytes saved and every path that disappeared or changed outside the known
caches, documentation and package-manager files: a possible change in
behaviour. Docker builds use --network host unless --network says otherwise;
--build-arg and --target are passed to both builds. The images are removed
afterwards unless --keep-images. With --write the file is written only when
the repair is proven harmless.

Exit codes: 0 success (with --verify: the repair is harmless), 1 --check
found a repair it would apply (a safe one; with --unsafe-fixes, any), or
--verify found a path gone or changed outside those categories, 2 an error
(a file that cannot be read or does not parse, a bad flag, a build that
fails, no container engine).

Repairable rules: ` + strings.Join(fix.Rules(), ", ") + `.`,
		Example: `  whittle fix Dockerfile > Dockerfile.new
  whittle fix --diff Dockerfile
  whittle fix --write --skip WH202 Dockerfile
  whittle fix --check Dockerfile   # exit 1 when a safe repair would apply
  whittle fix --unsafe-fixes --diff Dockerfile
  whittle fix --unsafe-fixes --verify Dockerfile   # build both, prove the repair
  whittle fix --verify --context . --build-arg VERSION=1.2 -f json docker/Dockerfile`,
		Args:          argsBetween(1, 1, "one DOCKERFILE (or - for standard input)"),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFix(cmd, args[0], fl)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	f := cmd.Flags()
	f.BoolVar(&fl.diff, "diff", false, "print a unified diff instead of the repaired file")
	f.BoolVarP(&fl.write, "write", "w", false, "rewrite the file in place (temporary file and rename; mode kept; read-only refused without --force)")
	f.BoolVar(&fl.check, "check", false, "change nothing; exit 1 when a repair would apply")
	f.BoolVar(&fl.unsafe, "unsafe-fixes", false, "also apply unsafe repairs (they may change what the build installs, fetches or fails on)")
	f.BoolVarP(&fl.quiet, "quiet", "q", false, "print no summary on stderr")
	f.BoolVar(&fl.noPragmas, "disable-ignore-pragma", false, "disregard the inline ignore comments (# whittle ignore=, # hadolint ignore= and their global forms), as lint --disable-ignore-pragma: repair what they silenced too")
	f.StringSliceVar(&fl.rules, "rule", nil, "repair only these rule `IDs` (repeat or separate with commas)")
	f.StringSliceVar(&fl.skip, "skip", nil, "do not repair these rule `IDs` (repeat or separate with commas)")
	f.StringVar(&fl.config, "config", "", "read the configuration from `FILE` (default: .whittle.yaml found from the current directory up)")
	f.StringVar(&fl.baseImage, "base-image", "", "replace the final stage's base image with `REF` (WH701)")
	f.BoolVar(&fl.force, "force", false, "with --write, rewrite a read-only file too")
	f.BoolVar(&fl.verify, "verify", false, "build the original and the repaired Dockerfile and compare the images: exit 1 when a path outside caches, documentation and package-manager files disappeared or changed")
	f.StringVar(&fl.context, "context", "", "with --verify, the build context `DIR` (default: the Dockerfile's directory; the current one for stdin)")
	f.StringVar(&fl.engine, "engine", "", "with --verify, the container `ENGINE`: docker or buildah (default: docker when a Docker Engine answers, else buildah)")
	f.StringVar(&fl.network, "network", "", "with --verify, the builds' network `MODE` (default: host for docker, the engine's own for buildah)")
	f.StringVar(&fl.target, "target", "", "with --verify, build this `STAGE` of both Dockerfiles")
	f.StringArrayVar(&fl.buildArgs, "build-arg", nil, "with --verify, a build argument `KEY=VALUE` for both builds (repeat the flag)")
	f.BoolVar(&fl.keepImages, "keep-images", false, "with --verify, keep the two images in the engine")
	f.StringVarP(&fl.format, "format", "f", "text", "with --verify, the report's `FORMAT`: text or json")
	return cmd
}

func runFix(cmd *cobra.Command, name string, fl fixFlags) error {
	if fl.write && fl.check {
		return fmt.Errorf("--write and --check exclude each other")
	}
	if fl.write && name == "-" {
		return fmt.Errorf("--write needs a file, not stdin")
	}
	if err := checkVerifyFlags(cmd, fl); err != nil {
		return err
	}
	if fl.write {
		// Refuse a read-only file before any work.
		if err := checkWritable(name, fl.force); err != nil {
			return err
		}
	}
	src, err := readDockerfile(cmd.InOrStdin(), name)
	if err != nil {
		return err
	}
	// Repairs are made only to a Dockerfile that builds: one that does not
	// parse, or has an instruction BuildKit rejects, is an error.
	if errs := dockerfileErrors(name, src); len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	cfg, err := loadFixConfig(fl.config)
	if err != nil {
		return err
	}
	var opts []fix.Option
	opts = append(opts, fix.WithFilename(name))
	enable := cfg.Enable
	if cmd.Flags().Changed("rule") {
		enable = fl.rules
	}
	if len(enable) > 0 {
		opts = append(opts, fix.WithRules(enable...))
	}
	skip, err := withoutUnrepairable(append(append([]string{}, cfg.Disable...), fl.skip...))
	if err != nil {
		return fmt.Errorf("skipping rules: %w", err)
	}
	if len(skip) > 0 {
		opts = append(opts, fix.WithSkip(skip...))
	}
	if fl.baseImage != "" {
		opts = append(opts, fix.WithBaseImage(fl.baseImage))
	}
	opts = append(opts, fix.WithUnsafeFixes(fl.unsafe))
	if fl.noPragmas {
		opts = append(opts, fix.WithIgnorePragmas(false))
	}
	res, err := fix.Fix(src, opts...)
	if err != nil {
		return err
	}
	if !fl.quiet {
		if _, err := io.WriteString(cmd.ErrOrStderr(), fixSummary(name, res, selection{only: enable, skip: skip}, fl.unsafe)); err != nil {
			return fmt.Errorf("writing summary: %w", err)
		}
	}
	out := cmd.OutOrStdout()
	if fl.verify {
		return runVerify(cmd, name, src, res, fl)
	}
	switch {
	case fl.diff:
		if _, err := out.Write(unifiedDiff(name, src, res.Output)); err != nil {
			return fmt.Errorf("writing diff: %w", err)
		}
	case !fl.write && !fl.check:
		if _, err := out.Write(res.Output); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	if fl.write && !bytes.Equal(src, res.Output) {
		if err := writeFixed(cmd, name, res.Output, src, fl); err != nil {
			return err
		}
	}
	if fl.check && res.Changed() {
		return withExitCode(ExitFail)
	}
	return nil
}

// loadFixConfig reads the fix section of the configuration file at path,
// or of .whittle.yaml found from the current directory up.
func loadFixConfig(path string) (fixConfig, error) {
	var cfg fixConfig
	if path == "" {
		p, err := config.Find(".")
		if err != nil {
			return cfg, err
		}
		path = p
	}
	if path == "" {
		return cfg, nil
	}
	f, err := config.Load(path)
	if err != nil {
		return cfg, err
	}
	if _, err := f.Decode("fix", &cfg); err != nil {
		return cfg, configError(err, f.Path, "fix", &cfg)
	}
	return cfg, nil
}

// unifiedDiff returns a unified diff (patch -p1 applies it to a relative
// name), without the leading "diff" line; nil when nothing changed.
func unifiedDiff(name string, old, new []byte) []byte {
	a, b := name, name
	if !filepath.IsAbs(name) {
		a, b = "a/"+filepath.ToSlash(name), "b/"+filepath.ToSlash(name)
	}
	d := diff.Diff(a, old, b, new)
	if i := bytes.IndexByte(d, '\n'); i >= 0 && bytes.HasPrefix(d, []byte("diff ")) {
		d = d[i+1:]
	}
	return d
}

// readDockerfile reads name, or stdin for "-".
func readDockerfile(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", name, unwrapPathError(err))
	}
	return b, nil
}

// withoutUnrepairable drops from a skip list the lint rules that have no
// repair (WH104, or a hadolint ID only such rules map): skipping them
// changes nothing, so a disable list shared with lint is not an error. An
// ID that names no rule at all is an error, as in lint.
func withoutUnrepairable(ids []string) ([]string, error) {
	repairable := map[string]bool{}
	for _, id := range fix.Rules() {
		repairable[id] = true
	}
	// noRepair[id] is true when id names lint rules and none has a repair.
	noRepair := map[string]bool{}
	for _, r := range rules.All() {
		m := r.Meta()
		for _, id := range append([]string{m.ID}, m.Hadolint...) {
			if v, seen := noRepair[id]; !seen || v {
				noRepair[id] = !repairable[m.ID]
			}
		}
	}
	var out []string
	for _, id := range splitIDs(ids) {
		v, known := noRepair[strings.ToUpper(id)]
		switch {
		case !known && !repairable[strings.ToUpper(id)]:
			return nil, fmt.Errorf("unknown rule %q", id)
		case !v:
			out = append(out, id)
		}
	}
	return out, nil
}

// selection is the rule IDs --rule and --skip (or the config) gave.
type selection struct{ only, skip []string }

// selected reports whether rule's repairs were selected.
func (s selection) selected(m rules.Meta) bool {
	match := func(ids []string) bool {
		for _, id := range splitIDs(ids) {
			id = strings.ToUpper(id)
			if id == m.ID || slices.Contains(m.Hadolint, id) {
				return true
			}
		}
		return false
	}
	if len(s.only) > 0 && !match(s.only) {
		return false
	}
	return !match(s.skip)
}

// fixSummary is what fix tells on stderr: each change (input lines), each
// repair held back and why, and each finding lint still reports without a
// repair (lines of the repaired file), then a count of each.
func fixSummary(name string, res *fix.Result, sel selection, unsafe bool) string {
	var b strings.Builder
	for _, c := range res.Changes {
		tag := ""
		if c.Applicability == rules.Unsafe {
			tag = " (unsafe: " + c.Reason + ")"
		}
		fmt.Fprintf(&b, "%s:%d: %s %s%s\n", name, c.Line, c.Rule, c.Message, tag)
	}
	metas := map[string]rules.Meta{}
	for _, m := range rules.Metas() {
		metas[m.ID] = m
	}
	held, none := 0, 0
	for _, fd := range res.Remaining {
		r := fd.Repair
		switch {
		case r == nil:
			none++
			fmt.Fprintf(&b, "%s:%d: %s no repair: %s\n", name, fd.Line, fd.Rule, fd.Message)
			continue
		case !sel.selected(metas[fd.Rule]):
			fmt.Fprintf(&b, "%s:%d: %s not selected: %s\n", name, fd.Line, fd.Rule, r.Message)
		case r.Applicability == rules.Unsafe && !unsafe:
			fmt.Fprintf(&b, "%s:%d: %s held back, unsafe: %s: %s (--unsafe-fixes applies it)\n", name, fd.Line, fd.Rule, r.Message, r.Reason)
		case r.Applicability == rules.DisplayOnly:
			fmt.Fprintf(&b, "%s:%d: %s not applied: %s: %s\n", name, fd.Line, fd.Rule, r.Message, r.Reason)
		default:
			fmt.Fprintf(&b, "%s:%d: %s not applied: %s: the result would not parse\n", name, fd.Line, fd.Rule, r.Message)
		}
		held++
	}
	var parts []string
	if n := len(res.Changes); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, plural(int64(n), "change", "changes")))
	}
	if held > 0 {
		parts = append(parts, fmt.Sprintf("%d %s not applied", held, plural(int64(held), "repair", "repairs")))
	}
	if none > 0 {
		parts = append(parts, fmt.Sprintf("%d %s without a repair", none, plural(int64(none), "finding", "findings")))
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(parts, "; "))
	}
	return b.String()
}
