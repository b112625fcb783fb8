package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/whittle/whittle/pkg/rules"
)

// hadolintConfig is what whittle reads of hadolint's configuration file
// (.hadolint.yaml). hadolint's other keys (trustedRegistries, label-schema,
// no-color, ...) are about rules or outputs whittle does not have, and are
// ignored, as hadolint ignores keys it does not know.
type hadolintConfig struct {
	// Format is hadolint's output format (see hadolintFormat), used when
	// no -f is given.
	Format string `yaml:"format"`
	// Ignored are rule IDs to skip.
	Ignored []string `yaml:"ignored"`
	// FailureThreshold is hadolint's lowest failing severity: error,
	// warning, info, style, ignore or none.
	FailureThreshold string `yaml:"failure-threshold"`
	// NoFail, when true, never fails on findings.
	NoFail *bool `yaml:"no-fail"`
	// DisableIgnorePragma, when true, disregards the inline ignore
	// comments (rules.WithIgnorePragmas).
	DisableIgnorePragma *bool `yaml:"disable-ignore-pragma"`
	// Override sets rules' severities, by hadolint severity.
	Override struct {
		Error   []string `yaml:"error"`
		Warning []string `yaml:"warning"`
		Info    []string `yaml:"info"`
		Style   []string `yaml:"style"`
	} `yaml:"override"`
	// fromEnv maps a key (format, failure-threshold) to the environment
	// variable that set it, for errors.
	fromEnv map[string]string
}

// from names where key's value came from in errors: its environment
// variable, or "PATH: key" of the file.
func (c hadolintConfig) from(key, path string) string {
	if v, ok := c.fromEnv[key]; ok {
		return v
	}
	return path + ": " + key
}

// overlay returns c with the scalar settings env sets (no-fail,
// disable-ignore-pragma, format, failure-threshold) replacing c's, as hadolint lets its environment
// override its file. (Rule lists are options of their own: hadolintEnv.)
func (c hadolintConfig) overlay(env hadolintConfig) hadolintConfig {
	if env.NoFail != nil {
		c.NoFail = env.NoFail
	}
	if env.DisableIgnorePragma != nil {
		c.DisableIgnorePragma = env.DisableIgnorePragma
	}
	if env.Format != "" {
		c.Format = env.Format
	}
	if env.FailureThreshold != "" {
		c.FailureThreshold = env.FailureThreshold
	}
	c.fromEnv = env.fromEnv
	return c
}

// hadolintEnv reads hadolint's environment variables (an empty one is as if
// unset): HADOLINT_NOFAIL and HADOLINT_DISABLE_IGNORE_PRAGMA (true when 1,
// y, on, true or yes, any case; false otherwise), HADOLINT_FORMAT, HADOLINT_FAILURE_THRESHOLD, and the
// comma-separated rule lists HADOLINT_IGNORE and HADOLINT_OVERRIDE_ERROR,
// _WARNING, _INFO and _STYLE, which it returns as options (an unknown
// whittle ID is an error that names the variable). lookup is os.LookupEnv.
func hadolintEnv(lookup func(string) (string, bool)) (hadolintConfig, []rules.Option, error) {
	env := hadolintConfig{fromEnv: map[string]string{}}
	truthy := func(v string) *bool {
		b := slices.Contains([]string{"1", "y", "on", "true", "yes"}, strings.ToLower(v))
		return &b
	}
	if v, ok := lookup("HADOLINT_NOFAIL"); ok && v != "" {
		env.NoFail = truthy(v)
	}
	if v, ok := lookup("HADOLINT_DISABLE_IGNORE_PRAGMA"); ok && v != "" {
		env.DisableIgnorePragma = truthy(v)
	}
	if v, ok := lookup("HADOLINT_FORMAT"); ok && v != "" {
		env.Format, env.fromEnv["format"] = v, "HADOLINT_FORMAT"
	}
	if v, ok := lookup("HADOLINT_FAILURE_THRESHOLD"); ok && v != "" {
		env.FailureThreshold, env.fromEnv["failure-threshold"] = v, "HADOLINT_FAILURE_THRESHOLD"
	}
	var opts []rules.Option
	list := func(name string) ([]string, error) {
		v, _ := lookup(name)
		ids, err := knownRuleIDs(splitIDs([]string{v}))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return ids, nil
	}
	ignored, err := list("HADOLINT_IGNORE")
	if err != nil {
		return env, nil, err
	}
	if len(ignored) > 0 {
		opts = append(opts, rules.WithoutRules(ignored...))
	}
	for _, level := range hadolintSeverityFlags {
		ids, err := list("HADOLINT_OVERRIDE_" + strings.ToUpper(level))
		if err != nil {
			return env, nil, err
		}
		for _, id := range ids {
			opts = append(opts, rules.WithSeverity(id, hadolintSeverity(level)))
		}
	}
	return env, opts, nil
}

// hadolintNames are the names hadolint gives its configuration file in the
// working directory and in the home directory.
var hadolintNames = []string{".hadolint.yaml", ".hadolint.yml"}

// isHadolintConfigName reports whether path names a hadolint configuration
// file (.hadolint.yaml, hadolint.yml, ...): --config reads such a file as
// hadolint's.
func isHadolintConfigName(path string) bool {
	switch filepath.Base(path) {
	case ".hadolint.yaml", ".hadolint.yml", "hadolint.yaml", "hadolint.yml":
		return true
	}
	return false
}

// findHadolintConfig returns the configuration file hadolint would read
// without --config, or "" when there is none. hadolint looks, in order, in
// the working directory (.hadolint.yaml, .hadolint.yml), in
// $XDG_CONFIG_HOME (default ~/.config: hadolint.yaml, hadolint.yml), in
// ~/.hadolint (hadolint.yaml, hadolint.yml, config.yaml, config.yml) and in
// the home directory (.hadolint.yaml, .hadolint.yml), and takes the first
// file that exists. getenv reads the environment (HOME, XDG_CONFIG_HOME).
func findHadolintConfig(wd string, getenv func(string) string) (string, error) {
	var candidates []string
	for _, n := range hadolintNames {
		candidates = append(candidates, filepath.Join(wd, n))
	}
	home := getenv("HOME")
	xdg := getenv("XDG_CONFIG_HOME")
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	if xdg != "" {
		candidates = append(candidates, filepath.Join(xdg, "hadolint.yaml"), filepath.Join(xdg, "hadolint.yml"))
	}
	if home != "" {
		for _, n := range []string{"hadolint.yaml", "hadolint.yml", "config.yaml", "config.yml"} {
			candidates = append(candidates, filepath.Join(home, ".hadolint", n))
		}
		for _, n := range hadolintNames {
			candidates = append(candidates, filepath.Join(home, n))
		}
	}
	for _, p := range candidates {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return p, nil
		case err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission):
			return "", fmt.Errorf("finding hadolint's configuration: %w", err)
		}
	}
	return "", nil
}

// loadHadolintConfig reads a hadolint configuration file.
func loadHadolintConfig(path string) (hadolintConfig, error) {
	var cfg hadolintConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("reading hadolint's configuration: %w", err)
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return cfg, fmt.Errorf("%s: %s", path, strings.Join(te.Errors, "; "))
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// hadolintFailLevel maps hadolint's failure threshold to whittle's fail
// level. hadolint fails on findings at or above the threshold, and its
// severities are, from the top, error, warning, info and style; whittle
// has no style, so style is info. "ignore" and "none" are below style in
// hadolint, so they fail on every finding (use --no-fail never to fail).
func hadolintFailLevel(threshold string) (rules.Severity, error) {
	switch strings.ToLower(strings.TrimSpace(threshold)) {
	case "error":
		return rules.Error, nil
	case "warning":
		return rules.Warning, nil
	case "info", "style", "ignore", "none":
		return rules.Info, nil
	}
	return rules.Info, fmt.Errorf("unknown threshold %q (want error, warning, info, style, ignore or none)", threshold)
}

// hadolintSeverity maps a hadolint severity name to whittle's (style is
// info).
func hadolintSeverity(name string) rules.Severity {
	switch name {
	case "error":
		return rules.Error
	case "warning":
		return rules.Warning
	}
	return rules.Info
}

// hadolintID matches hadolint's own rule IDs (DL3009) and ShellCheck's
// (SC2086), which hadolint runs too.
var hadolintID = regexp.MustCompile(`^(?i)(DL|SC)[0-9]+$`)

// knownRuleIDs keeps the IDs that name a whittle rule (by whittle's or
// hadolint's ID) and drops hadolint IDs that none does: ignoring or
// re-levelling a rule whittle does not run changes nothing, so a list
// written for hadolint works unchanged. Any other unknown ID is an error.
func knownRuleIDs(ids []string) ([]string, error) {
	var known []string
	for _, id := range ids {
		err := rules.ValidateOptions(rules.WithoutRules(id))
		var ue *rules.UnknownRuleError
		switch {
		case err == nil:
			known = append(known, id)
		case errors.As(err, &ue) && hadolintID.MatchString(strings.TrimSpace(id)):
			// a hadolint rule whittle does not have
		default:
			return nil, err
		}
	}
	return known, nil
}

// hadolintOptions turns a hadolint configuration into library options:
// ignored rules skipped, overridden severities set. path names the file in
// errors.
func hadolintOptions(cfg hadolintConfig, path string) ([]rules.Option, error) {
	var opts []rules.Option
	ignored, err := knownRuleIDs(splitIDs(cfg.Ignored))
	if err != nil {
		return nil, fmt.Errorf("%s: ignored: %w", path, err)
	}
	if len(ignored) > 0 {
		opts = append(opts, rules.WithoutRules(ignored...))
	}
	for _, o := range []struct {
		level string
		ids   []string
	}{
		{"style", cfg.Override.Style},
		{"info", cfg.Override.Info},
		{"warning", cfg.Override.Warning},
		{"error", cfg.Override.Error},
	} {
		ids, err := knownRuleIDs(splitIDs(o.ids))
		if err != nil {
			return nil, fmt.Errorf("%s: override.%s: %w", path, o.level, err)
		}
		for _, id := range ids {
			opts = append(opts, rules.WithSeverity(id, hadolintSeverity(o.level)))
		}
	}
	return opts, nil
}

// hadolintFormat maps one of hadolint's output formats to lint's: tty is
// text, the others lint writes under hadolint's names (json is whittle's
// own JSON). codacy and sonarqube are formats lint does not write.
func hadolintFormat(name string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(name)); f {
	case "tty":
		return "text", nil
	case "json", "sarif", "gnu", "checkstyle", "codeclimate", "gitlab_codeclimate":
		return f, nil
	}
	return "", fmt.Errorf("whittle lint does not write hadolint's %q format (want tty, json, sarif, gnu, checkstyle, codeclimate or gitlab_codeclimate, or give -f)", name)
}

// hadolintSeverityFlags are hadolint's flags that set rules' severities,
// --error, --warning, --info and --style (as info), each taking rule IDs;
// from the lowest to the highest, so that an ID given to two ends at the
// higher.
var hadolintSeverityFlags = []string{"style", "info", "warning", "error"}

// hadolintSeverityOptions turns hadolint's severity flags into library
// options; flags maps a flag's name to its IDs.
func hadolintSeverityOptions(flags map[string][]string) ([]rules.Option, error) {
	var opts []rules.Option
	for _, level := range hadolintSeverityFlags {
		ids, err := knownRuleIDs(splitIDs(flags[level]))
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", level, err)
		}
		for _, id := range ids {
			opts = append(opts, rules.WithSeverity(id, hadolintSeverity(level)))
		}
	}
	return opts, nil
}
