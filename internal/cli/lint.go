package cli

import (
	"bytes"
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
	output          string
	failLevel       string
	only            []string
	skip            []string
	registryLookups bool
	config          string
	context         string
	sarifRoot       string
	// hadolint's spellings (see lintHadolintHelp).
	failureThreshold string
	ignore           []string
	noFail           bool
	// disableIgnorePragma disregards the inline ignore comments.
	disableIgnorePragma bool
	// severities are hadolint's --error, --warning, --info and --style, by
	// flag name.
	severities map[string]*[]string
	// git runs git for the SARIF source root (runGit; tests fake it).
	git gitFunc
}

// lintFormats are the output formats of lint, in the order --help lists
// them.
var lintFormats = []string{"text", "json", "sarif", "gnu", "checkstyle", "codeclimate", "gitlab_codeclimate"}

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

FILE is a Dockerfile path, or "-" for standard input. Output formats (-f):
  text                "file:line:col: severity ID message", then the fix and
                      the repair on the lines below ("tty" is the same)
  json                {"findings": [...]}, each repair with its edits
  sarif               SARIF 2.1.0, each repair that whittle fix can make as a
                      fix; files relative to --sarif-root (default: the top
                      of the git work tree), declared as %SRCROOT%
  gnu                 "whittle:file:line:col: ID severity: message"
  checkstyle          Checkstyle XML
  codeclimate         Code Climate issues, each ended by a NUL byte
  gitlab_codeclimate  a GitLab Code Quality report (one JSON array, with
                      fingerprints)
-o FILE writes the report to FILE (atomically) instead of standard output.

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
rule ID to info, warning or error) and registry-lookups. Flags override it.

` + lintHadolintHelp

// lintHadolintHelp describes the flags and the configuration that hadolint
// users know.
const lintHadolintHelp = `hadolint's flags and configuration work as aliases:
  -t, --failure-threshold LEVEL  --fail-level in hadolint's levels: error,
                                 warning, info; style is info; ignore and
                                 none fail on any finding, as in hadolint
  --ignore ID                    --skip; a hadolint ID whittle has no rule
                                 for is accepted and changes nothing
  --no-fail                      --fail-level none: exit 0 whatever the
                                 findings (errors still exit 2)
  --error, --warning, --info,    the severity of these rule IDs, as
  --style ID                     lint.severity in .whittle.yaml (style is
                                 info)
  --disable-ignore-pragma        disregard the inline ignore comments:
                                 hadolint's and whittle's own, and their
                                 global forms (as hadolint disregards all
                                 of its own)
  -f tty                         -f text (gnu, checkstyle, codeclimate and
                                 gitlab_codeclimate are shaped as hadolint's)
When no .whittle.yaml has a lint: section, hadolint's configuration file is
read where hadolint looks for it (.hadolint.yaml or .hadolint.yml in the
current directory, then $XDG_CONFIG_HOME/hadolint.yaml, ~/.hadolint/ and
~/.hadolint.yaml), or named with --config .hadolint.yaml: its ignored,
failure-threshold, no-fail, disable-ignore-pragma, override and format
(without -f) keys apply; its other keys are about rules whittle does not
have. So do hadolint's HADOLINT_IGNORE, HADOLINT_OVERRIDE_ERROR (_WARNING,
_INFO, _STYLE), HADOLINT_FAILURE_THRESHOLD, HADOLINT_NOFAIL,
HADOLINT_DISABLE_IGNORE_PRAGMA and HADOLINT_FORMAT, over the file and under
the flags.`

// NewCmdLint builds `whittle lint`.
func NewCmdLint() *cobra.Command {
	return newCmdLint(&lintOptions{git: runGit})
}

// newCmdLint builds `whittle lint` on o, whose git seam tests set.
func newCmdLint(o *lintOptions) *cobra.Command {
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
	fl.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: "+strings.Join(lintFormats, ", "))
	fl.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout; without --format (or a format in the configuration), FILE's extension chooses it: .json, .sarif")
	fl.StringVar(&o.failLevel, "fail-level", "warning", "lowest `LEVEL` that makes lint exit 1: info, warning, error or none")
	fl.StringSliceVar(&o.only, "rule", nil, "run only these rule `IDs` (whittle or hadolint; repeat or separate with commas)")
	fl.StringSliceVar(&o.skip, "skip", nil, "skip these rule `IDs` (whittle or hadolint; repeat or separate with commas)")
	fl.BoolVar(&o.registryLookups, "registry-lookups", false, "let base-image rules (WH701) ask registries about base images")
	fl.StringVar(&o.context, "context", "", "the build context `DIR`, for WH108 (default: each Dockerfile's directory; none for standard input)")
	fl.StringVar(&o.config, "config", "", "read the configuration from `FILE`: a .whittle.yaml, or hadolint's .hadolint.yaml (default: .whittle.yaml found from the current directory up, else hadolint's)")
	fl.StringVar(&o.sarifRoot, "sarif-root", "", "with -f sarif: name files relative to `DIR` (default: the top of the git work tree holding the current directory)")
	fl.StringVarP(&o.failureThreshold, "failure-threshold", "t", "", "hadolint's name for --fail-level: `LEVEL` error, warning, info, style (as info), or ignore or none (fail on any finding)")
	fl.StringSliceVar(&o.ignore, "ignore", nil, "hadolint's name for --skip: skip these rule `IDs` (a hadolint ID whittle has no rule for is accepted)")
	fl.BoolVar(&o.noFail, "no-fail", false, "hadolint's: exit 0 whatever the findings, as --fail-level none (errors still exit 2)")
	fl.BoolVar(&o.disableIgnorePragma, "disable-ignore-pragma", false, "hadolint's: disregard the inline ignore comments (# whittle ignore=, # hadolint ignore= and their global forms); the configuration's and the flags' skips still apply")
	o.severities = map[string]*[]string{}
	for _, level := range hadolintSeverityFlags {
		ids := new([]string)
		o.severities[level] = ids
		as := level
		if level == "style" {
			as = "info"
		}
		fl.StringSliceVar(ids, level, nil, "hadolint's: report these rule `IDs` at "+as+" (as lint.severity in .whittle.yaml)")
	}
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
	if o.format == "tty" { // hadolint's name for text
		o.format = "text"
	}
	if !slices.Contains(lintFormats, o.format) {
		return fail(fmt.Errorf("unknown --format %q (want %s)", o.format, strings.Join(lintFormats, ", ")))
	}
	set, err := lintSettings(cmd, o)
	if err != nil {
		return fail(err)
	}
	if set.format != "" && !cmd.Flags().Changed("format") {
		o.format = set.format
	} else {
		o.format = formatForOutput(cmd, o.format, o.output, lintFormatsByExt)
	}
	if err := rules.ValidateOptions(set.opts...); err != nil {
		return fail(err)
	}
	if o.output != "" {
		if err := checkLintOutput(o.output, args); err != nil {
			return fail(err)
		}
	}
	var sarifOpts report.SARIFOptions
	if o.format == "sarif" {
		if sarifOpts, err = lintSARIFOptions(cmd.Context(), o, args); err != nil {
			return fail(err)
		}
	}
	var res report.LintResult
	for _, r := range rules.All() {
		res.Rules = append(res.Rules, r.Meta())
	}
	files, readErrs := readLintFiles(cmd.InOrStdin(), args)
	res.Errors = append(res.Errors, readErrs...)
	for _, lf := range files {
		res.Files = append(res.Files, lf.name)
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
		found, err := rules.Lint(cmd.Context(), f, slices.Concat(set.opts, lintContext(o.context, lf.name))...)
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
	var buf bytes.Buffer
	switch o.format {
	case "json":
		err = report.LintJSON(&buf, res)
	case "sarif":
		err = report.LintSARIF(&buf, res, sarifOpts)
	case "gnu":
		err = report.LintGNU(&buf, res)
	case "checkstyle":
		err = report.LintCheckstyle(&buf, res)
	case "codeclimate":
		err = report.LintCodeClimate(&buf, res)
	case "gitlab_codeclimate":
		err = report.LintGitLabCodeClimate(&buf, res)
	default:
		err = report.LintText(&buf, res)
	}
	if err == nil {
		err = emitReport(cmd.OutOrStdout(), o.output, buf.Bytes())
	}
	if err != nil {
		return fail(err)
	}
	if len(res.Errors) > 0 {
		return withExitCode(ExitError)
	}
	if set.failLevel != nil {
		for _, f := range res.Findings {
			if f.Severity >= *set.failLevel {
				return withExitCode(ExitFail)
			}
		}
	}
	return nil
}

// checkLintOutput fails before any work when the report cannot be written
// to path, or would replace one of the Dockerfiles being linted.
func checkLintOutput(path string, args []string) error {
	if err := checkOutputFile(path); err != nil {
		return err
	}
	out, err := os.Stat(path)
	if err != nil {
		return nil // a new file is none of the inputs
	}
	for _, a := range args {
		if in, err := os.Stat(a); a != "-" && err == nil && os.SameFile(in, out) {
			return fmt.Errorf("lint: refusing to write the report over %s, which it lints", a)
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

// lintSetting is what the configuration and the flags decide.
type lintSetting struct {
	opts []rules.Option
	// failLevel is the lowest severity that fails; nil never fails.
	failLevel *rules.Severity
	// format is the output format the configuration asks for (hadolint's
	// format:), "" for none.
	format string
}

// lintSettings merges the configuration and the flags into library options
// and the fail level. The configuration is the lint section of .whittle.yaml
// or, when no .whittle.yaml has one, hadolint's configuration file (see
// lintHadolintHelp); flags override either.
func lintSettings(cmd *cobra.Command, o *lintOptions) (lintSetting, error) {
	var (
		cfg        lintConfig
		hasSection bool
		hado       hadolintConfig
		hadoPath   string
	)
	path := o.config
	if path != "" && isHadolintConfigName(path) {
		hadoPath, path = path, ""
	} else {
		if path == "" {
			p, err := config.Find(".")
			if err != nil {
				return lintSetting{}, err
			}
			path = p
		}
		if path != "" {
			f, err := config.Load(path)
			if err != nil {
				return lintSetting{}, err
			}
			if hasSection, err = f.Decode("lint", &cfg); err != nil {
				return lintSetting{}, configError(err, f.Path, "lint", &cfg)
			}
		}
		if !hasSection {
			wd, err := os.Getwd()
			if err != nil {
				return lintSetting{}, fmt.Errorf("finding hadolint's configuration: %w", err)
			}
			if hadoPath, err = findHadolintConfig(wd, os.Getenv); err != nil {
				return lintSetting{}, err
			}
		}
	}
	var opts []rules.Option
	if hadoPath != "" {
		var err error
		if hado, err = loadHadolintConfig(hadoPath); err != nil {
			return lintSetting{}, err
		}
		hopts, err := hadolintOptions(hado, hadoPath)
		if err != nil {
			return lintSetting{}, err
		}
		opts = append(opts, hopts...)
	}
	if !hasSection {
		// hadolint's environment variables, over its file, as hadolint
		// reads them.
		env, eopts, err := hadolintEnv(os.LookupEnv)
		if err != nil {
			return lintSetting{}, err
		}
		hado = hado.overlay(env)
		opts = append(opts, eopts...)
	}
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
	ignore, err := knownRuleIDs(splitIDs(o.ignore))
	if err != nil {
		return lintSetting{}, fmt.Errorf("--ignore: %w", err)
	}
	if len(ignore) > 0 {
		opts = append(opts, rules.WithoutRules(ignore...))
	}
	ids := make([]string, 0, len(cfg.Severity))
	for id := range cfg.Severity {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s, err := rules.ParseSeverity(cfg.Severity[id])
		if err != nil {
			return lintSetting{}, fmt.Errorf("%s: lint.severity.%s: %w", path, id, err)
		}
		opts = append(opts, rules.WithSeverity(id, s))
	}
	sevFlags := map[string][]string{}
	for level, ids := range o.severities {
		sevFlags[level] = *ids
	}
	sevOpts, err := hadolintSeverityOptions(sevFlags)
	if err != nil {
		return lintSetting{}, err
	}
	opts = append(opts, sevOpts...)
	var format string
	if hado.Format != "" && !cmd.Flags().Changed("format") { // -f overrides it, whatever it is
		if format, err = hadolintFormat(hado.Format); err != nil {
			return lintSetting{}, fmt.Errorf("%s: %w", hado.from("format", hadoPath), err)
		}
	}
	if o.disableIgnorePragma || hado.DisableIgnorePragma != nil && *hado.DisableIgnorePragma {
		opts = append(opts, rules.WithIgnorePragmas(false))
	}
	lookups := o.registryLookups
	if !cmd.Flags().Changed("registry-lookups") && cfg.RegistryLookups != nil {
		lookups = *cfg.RegistryLookups
	}
	opts = append(opts, rules.WithRegistryLookups(lookups))
	level, err := lintFailLevel(cmd, o, cfg, path, hado, hadoPath)
	if err != nil {
		return lintSetting{}, err
	}
	return lintSetting{opts: opts, failLevel: level, format: format}, nil
}

// lintFailLevel decides the fail level: --no-fail (or hadolint's no-fail:
// true) never fails; else --fail-level or --failure-threshold, else the
// configuration's fail-level or failure-threshold, else warning.
func lintFailLevel(cmd *cobra.Command, o *lintOptions, cfg lintConfig, path string, hado hadolintConfig, hadoPath string) (*rules.Severity, error) {
	flags := cmd.Flags()
	if flags.Changed("fail-level") && flags.Changed("failure-threshold") {
		return nil, errors.New("--fail-level and --failure-threshold both set the fail level: give one")
	}
	if o.noFail || hado.NoFail != nil && *hado.NoFail {
		return nil, nil
	}
	switch {
	case flags.Changed("failure-threshold"):
		return hadolintLevel(o.failureThreshold, "--failure-threshold")
	case flags.Changed("fail-level"):
		return whittleLevel(o.failLevel, "--fail-level")
	case cfg.FailLevel != "":
		return whittleLevel(cfg.FailLevel, path+": lint.fail-level")
	case hado.FailureThreshold != "":
		return hadolintLevel(hado.FailureThreshold, hado.from("failure-threshold", hadoPath))
	}
	return whittleLevel(o.failLevel, "--fail-level")
}

// whittleLevel parses a fail level (nil for "none"); from names its source
// in errors.
func whittleLevel(level, from string) (*rules.Severity, error) {
	if strings.EqualFold(level, "none") || strings.EqualFold(level, "never") {
		return nil, nil
	}
	s, err := rules.ParseSeverity(level)
	if err != nil {
		return nil, fmt.Errorf("%s: unknown level %q (want info, warning, error or none)", from, level)
	}
	return &s, nil
}

// hadolintLevel parses hadolint's failure threshold; from names its source
// in errors.
func hadolintLevel(threshold, from string) (*rules.Severity, error) {
	s, err := hadolintFailLevel(threshold)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return &s, nil
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
