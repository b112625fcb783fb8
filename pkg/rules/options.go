package rules

import (
	"fmt"
	"io/fs"
	"strings"
)

// Option configures Lint. Options validate their values: an unknown rule ID
// fails early.
type Option func(*options) error

type options struct {
	only            map[string]bool // nil: every rule
	skip            map[string]bool
	severity        map[string]Severity
	registryLookups bool
	noPragmas       bool
	baseImage       string
	context         fs.FS
	rules           []Rule
}

// WithContext gives lint the build context (for example os.DirFS of the
// directory docker build is given): WH108 reads its .dockerignore and
// looks for what COPY . would take. Without it, WH108 is quiet.
func WithContext(fsys fs.FS) Option {
	return func(o *options) error {
		o.context = fsys
		return nil
	}
}

// WithBaseImage asks for the final stage's base image to become ref: WH701
// then reports the base, whatever it is, with the (unsafe) repair that
// switches it, for whittle fix --base-image.
func WithBaseImage(ref string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ref) == "" || strings.ContainsAny(ref, " \t\r\n") {
			return fmt.Errorf("setting base image %q: not an image reference", ref)
		}
		o.baseImage = ref
		return nil
	}
}

// WithRules runs only the named rules. IDs are whittle IDs ("WH201") or the
// hadolint IDs they map to ("DL3009"); several calls add up.
func WithRules(ids ...string) Option {
	return func(o *options) error {
		if o.only == nil {
			o.only = map[string]bool{}
		}
		for _, id := range ids {
			rid, err := o.resolve(id)
			if err != nil {
				return err
			}
			o.only[rid] = true
		}
		return nil
	}
}

// WithoutRules skips the named rules (whittle or hadolint IDs).
func WithoutRules(ids ...string) Option {
	return func(o *options) error {
		for _, id := range ids {
			rid, err := o.resolve(id)
			if err != nil {
				return err
			}
			o.skip[rid] = true
		}
		return nil
	}
}

// WithSeverity overrides a rule's severity. A finding in a stage that does
// not reach the final image is still lowered to Info.
func WithSeverity(id string, s Severity) Option {
	return func(o *options) error {
		rid, err := o.resolve(id)
		if err != nil {
			return err
		}
		if s < Info || s > Error {
			return fmt.Errorf("setting severity of %s: invalid severity %d", id, int(s))
		}
		o.severity[rid] = s
		return nil
	}
}

// WithRegistryLookups lets rules ask registries about base images (WH701).
// Off by default: linting then needs no network.
func WithRegistryLookups(enabled bool) Option {
	return func(o *options) error {
		o.registryLookups = enabled
		return nil
	}
}

// WithIgnorePragmas(false) makes Lint disregard the inline ignore
// comments of the file: "# whittle ignore=", "# hadolint ignore=" and their
// "global ignore=" forms (hadolint's disable-ignore-pragma, which
// disregards every pragma of its own). On by default. Rules skipped by
// options (WithoutRules) stay skipped.
func WithIgnorePragmas(enabled bool) Option {
	return func(o *options) error {
		o.noPragmas = !enabled
		return nil
	}
}

// WithRuleSet replaces the rules that Lint runs (All by default); tests use
// it to run rules of their own.
func WithRuleSet(rs ...Rule) Option {
	return func(o *options) error {
		if len(rs) == 0 {
			return fmt.Errorf("setting rules: the rule set is empty")
		}
		for _, r := range rs {
			if err := validateMeta(r.Meta()); err != nil {
				return err
			}
		}
		o.rules = rs
		return nil
	}
}

// resolve maps a whittle or hadolint ID to the whittle ID of a known rule.
func (o *options) resolve(id string) (string, error) {
	want := strings.ToUpper(strings.TrimSpace(id))
	for _, r := range o.rules {
		m := r.Meta()
		if m.ID == want {
			return m.ID, nil
		}
		for _, h := range m.Hadolint {
			if h == want {
				return m.ID, nil
			}
		}
	}
	return "", &UnknownRuleError{ID: id}
}

// UnknownRuleError is returned for a rule ID that no rule has.
type UnknownRuleError struct{ ID string }

func (e *UnknownRuleError) Error() string {
	if IsImageRule(strings.ToUpper(strings.TrimSpace(e.ID))) {
		return fmt.Sprintf("unknown rule %q (an image rule: whittle analyze reports it about a built image)", e.ID)
	}
	return fmt.Sprintf("unknown rule %q", e.ID)
}

// ValidateOptions applies options as Lint would and returns their first
// error, so that a command can reject bad flags before reading any file.
func ValidateOptions(opts ...Option) error {
	o := &options{skip: map[string]bool{}, severity: map[string]Severity{}, rules: All()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return err
		}
	}
	return nil
}
