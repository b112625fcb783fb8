package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/config"
	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

// lintOptions are the flags of `whittle lint`.
type lintOptions struct {
	format          string
	failLevel       string
	only            []string
	skip            []string
	registryLookups bool
	config          string
	context         string
}

// lintConfig is the lint section of .whittle.yaml.
type lintConfig struct {
	// Enable, when set, runs only these rules; Disable skips rules. IDs
	// are whittle's (WH201) or hadolint's (DL3009).
	Enable  []string `yaml:"enable"`
	Disable []string `yaml:"disable"`
	// FailLevel is the lowest severity that makes lint exit 1.
	FailLevel string `yaml:"fail-level"`
	// Severity overrides rules' severities: {WH104: warning}.
	Severity map[string]string `yaml:"severity"`
	// RegistryLookups lets WH701 ask registries about base images.
	RegistryLookups *bool `yaml:"registry-lookups"`
}

const lintLong = `Lint reads Dockerfiles and reports what makes their images bigger than they
need to be: package-manager caches left in layers, build leftovers, files
deleted in a later RUN than the one that made them, heavy bases.

Every RUN is parsed as shell, so "rm -rf /tmp/x" is not taken for an apt
cleanup; stages are followed, so a cache left in a build stage that does not
reach the final image is only reported at info. Each finding has a rule ID,
a severity, the fix, and a documentation page under docs/rules/.

FILE is a Dockerfile path, or "-" for standard input. Output formats: text
("file:line:col: severity ID message", then the fix and the repair on the
lines below), json ({"findings": [...]}, each repair with its edits) and
sarif (SARIF 2.1.0, each repair that whittle fix can make as a fix).

A finding that "whittle fix" repairs ends in [fix]; one that it repairs only
with "whittle fix --unsafe-fixes" ends in [unsafe fix], because its repair
may change what the build installs, downloads or fails on, and its repair
line says why. A repair marked "display only, never applied" is for a human
to decide. The last line counts the fixable findings.

Exit codes: 0 no finding at or above --fail-level, 1 some finding at or above
it, 2 an error (a file that cannot be read or does not parse, a bad flag).

Silence a rule for one instruction with a comment right before it:
  # whittle ignore=WH201,WH202
(hadolint's "# hadolint ignore=DL3009" silences the mapped rule too), or for
the whole file with "# whittle global ignore=WH104".

Configuration: the lint: section of .whittle.yaml (searched from the current
directory upwards) takes enable, disable, fail-level, severity (a map from
rule ID to info, warning or error) and registry-lookups. Flags override it.`

// NewCmdLint builds `whittle lint`.
func NewCmdLint() *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint FILE... | -",
		Short: "Find what makes a Dockerfile's image big, with the fix",
		Long:  lintLong,
		Args:  argsBetween(1, -1, "one or more FILEs, or - for standard input"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd, o, args)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	fl := cmd.Flags()
	fl.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: text, json or sarif")
	fl.StringVar(&o.failLevel, "fail-level", "warning", "lowest `LEVEL` that makes lint exit 1: info, warning, error or none")
	fl.StringSliceVar(&o.only, "rule", nil, "run only these rule `IDs` (whittle or hadolint; repeat or separate with commas)")
	fl.StringSliceVar(&o.skip, "skip", nil, "skip these rule `IDs` (whittle or hadolint; repeat or separate with commas)")
	fl.BoolVar(&o.registryLookups, "registry-lookups", false, "let base-image rules (WH701) ask registries about base images")
	fl.StringVar(&o.config, "config", "", "read the configuration from `FILE` (default: .whittle.yaml found from the current directory up)")
	fl.StringVar(&o.context, "context", "", "the build context `DIR`, for WH108 (default: each Dockerfile's directory; none for standard input)")
	return cmd
}

// lintFile is one input: its name as given and its bytes.
type lintFile struct {
	name string
	src  []byte
}

func runLint(cmd *cobra.Command, o *lintOptions, args []string) error {
	stderr := cmd.ErrOrStderr()
	fail := func(err error) error {
		fmt.Fprintf(stderr, "whittle: %v\n", err)
		return withExitCode(ExitError)
	}
	opts, failLevel, err := lintSettings(cmd, o)
	if err != nil {
		return fail(err)
	}
	if err := rules.ValidateOptions(opts...); err != nil {
		return fail(err)
	}
	if o.format != "text" && o.format != "json" && o.format != "sarif" {
		return fail(fmt.Errorf("unknown --format %q (want text, json or sarif)", o.format))
	}
	var res report.LintResult
	for _, r := range rules.All() {
		res.Rules = append(res.Rules, r.Meta())
	}
	files, readErrs := readLintFiles(cmd.InOrStdin(), args)
	res.Errors = append(res.Errors, readErrs...)
	for _, lf := range files {
		if err := checkText(lf.name, lf.src); err != nil {
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		f, err := dockerfile.Parse(lf.name, lf.src)
		if err != nil {
			var pe *dockerfile.ParseError
			if errors.As(err, &pe) {
				res.Errors = append(res.Errors, pe.Error())
			} else {
				res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", lf.name, err))
			}
			continue
		}
		// Instructions BuildKit rejects (a FROM without image, a bad
		// flag) make the file unbuildable: report them as errors, and
		// still lint the rest.
		for in := range f.All() {
			if in.Err != nil {
				res.Errors = append(res.Errors, in.Err.Error())
			}
		}
		found, err := rules.Lint(cmd.Context(), f, append(opts, lintContext(o.context, lf.name)...)...)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			continue
		}
		res.Findings = append(res.Findings, found...)
	}
	res.Fixable = countFixable(res.Findings)
	for _, e := range res.Errors {
		fmt.Fprintln(stderr, e)
	}
	out := cmd.OutOrStdout()
	switch o.format {
	case "json":
		err = report.LintJSON(out, res)
	case "sarif":
		err = report.LintSARIF(out, res, toolVersion())
	default:
		err = report.LintText(out, res)
	}
	if err != nil {
		return fail(err)
	}
	if len(res.Errors) > 0 {
		return withExitCode(ExitError)
	}
	if failLevel != nil {
		for _, f := range res.Findings {
			if f.Severity >= *failLevel {
				return withExitCode(ExitFail)
			}
		}
	}
	return nil
}

// countFixable counts the findings whittle fix repairs by default and those
// it repairs only with --unsafe-fixes.
func countFixable(findings []rules.Finding) report.LintFixable {
	var n report.LintFixable
	for _, f := range findings {
		if f.Repair == nil {
			continue
		}
		switch f.Repair.Applicability {
		case rules.Safe:
			n.Safe++
		case rules.Unsafe:
			n.Unsafe++
		}
	}
	return n
}

// readLintFiles reads the named files ("-" once for standard input). It
// returns the files it could read and an error line for each it could not.
func readLintFiles(stdin io.Reader, args []string) ([]lintFile, []string) {
	var files []lintFile
	var errs []string
	stdinRead := false
	for _, a := range args {
		if a == "-" {
			if stdinRead {
				errs = append(errs, "-: standard input named twice")
				continue
			}
			stdinRead = true
			b, err := io.ReadAll(stdin)
			if err != nil {
				errs = append(errs, fmt.Sprintf("-: reading standard input: %v", err))
				continue
			}
			files = append(files, lintFile{name: "-", src: b})
			continue
		}
		b, err := os.ReadFile(a)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: reading: %v", a, unwrapPathError(err)))
			continue
		}
		files = append(files, lintFile{name: a, src: b})
	}
	return files, errs
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// lintSettings merges .whittle.yaml's lint section and the flags into
// library options and the fail level (nil for "none").
func lintSettings(cmd *cobra.Command, o *lintOptions) ([]rules.Option, *rules.Severity, error) {
	var cfg lintConfig
	path := o.config
	if path == "" {
		p, err := config.Find(".")
		if err != nil {
			return nil, nil, err
		}
		path = p
	}
	if path != "" {
		f, err := config.Load(path)
		if err != nil {
			return nil, nil, err
		}
		if _, err := f.Decode("lint", &cfg); err != nil {
			return nil, nil, configError(err, f.Path, "lint", &cfg)
		}
	}
	var opts []rules.Option
	enable := cfg.Enable
	if cmd.Flags().Changed("rule") {
		enable = o.only
	}
	if len(enable) > 0 {
		opts = append(opts, rules.WithRules(splitIDs(enable)...))
	}
	if skip := append(slices.Clone(cfg.Disable), o.skip...); len(skip) > 0 {
		opts = append(opts, rules.WithoutRules(splitIDs(skip)...))
	}
	ids := make([]string, 0, len(cfg.Severity))
	for id := range cfg.Severity {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s, err := rules.ParseSeverity(cfg.Severity[id])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: lint.severity.%s: %w", path, id, err)
		}
		opts = append(opts, rules.WithSeverity(id, s))
	}
	lookups := o.registryLookups
	if !cmd.Flags().Changed("registry-lookups") && cfg.RegistryLookups != nil {
		lookups = *cfg.RegistryLookups
	}
	opts = append(opts, rules.WithRegistryLookups(lookups))
	level, levelFrom := o.failLevel, "--fail-level"
	if !cmd.Flags().Changed("fail-level") && cfg.FailLevel != "" {
		level, levelFrom = cfg.FailLevel, path+": lint.fail-level"
	}
	if strings.EqualFold(level, "none") || strings.EqualFold(level, "never") {
		return opts, nil, nil
	}
	s, err := rules.ParseSeverity(level)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: unknown level %q (want info, warning, error or none)", levelFrom, level)
	}
	return opts, &s, nil
}

// splitIDs splits comma-separated IDs (from YAML lists that hold "a,b").
func splitIDs(in []string) []string {
	var out []string
	for _, s := range in {
		for _, id := range strings.Split(s, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// lintContext gives lint the build context of a Dockerfile: dir when set,
// else the file's own directory; none for standard input.
func lintContext(dir, name string) []rules.Option {
	switch {
	case dir != "":
		return []rules.Option{rules.WithContext(os.DirFS(dir))}
	case name == "-":
		return nil
	}
	return []rules.Option{rules.WithContext(os.DirFS(filepath.Dir(name)))}
}
