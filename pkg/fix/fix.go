package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/rules"
)

// Option configures Fix.
type Option func(*options) error

type options struct {
	name      string
	only      map[string]bool
	skip      map[string]bool
	baseImage string
	unsafe    bool
	// lint adds options to every lint run (tests use rules.WithRuleSet).
	lint []rules.Option
}

// WithFilename names the Dockerfile in errors ("Dockerfile" by default).
func WithFilename(name string) Option {
	return func(o *options) error {
		o.name = name
		return nil
	}
}

// WithRules limits the repairs to those of the given rule IDs: whittle's
// ("WH201") or the hadolint IDs the rules map ("DL3009"), comma-separated
// lists allowed.
func WithRules(ids ...string) Option {
	return func(o *options) error {
		set, err := ruleSet(ids)
		if err != nil {
			return fmt.Errorf("selecting rules: %w", err)
		}
		if o.only == nil {
			o.only = map[string]bool{}
		}
		for id := range set {
			o.only[id] = true
		}
		return nil
	}
}

// WithSkip leaves out the repairs of the given rule IDs (as WithRules).
func WithSkip(ids ...string) Option {
	return func(o *options) error {
		set, err := ruleSet(ids)
		if err != nil {
			return fmt.Errorf("skipping rules: %w", err)
		}
		if o.skip == nil {
			o.skip = map[string]bool{}
		}
		for id := range set {
			o.skip[id] = true
		}
		return nil
	}
}

// WithUnsafeFixes applies unsafe repairs too: those that may change what
// the build installs, fetches or fails on (--no-install-recommends,
// --auto-remove, ...). Display-only repairs are never applied.
func WithUnsafeFixes(enabled bool) Option {
	return func(o *options) error {
		o.unsafe = enabled
		return nil
	}
}

// WithBaseImage replaces the base image of the final stage with ref (rule
// WH701's repair, unsafe, applied because it is asked for by name). Fix
// never switches a base image without it. When the name of ref tells its
// package manager and RUNs of the stage call another one, the change's
// message names them: the switch is made, but the file must be ported
// before it builds.
func WithBaseImage(ref string) Option {
	return func(o *options) error {
		// Lint checks the reference, as it is lint's WH701 that repairs.
		if err := rules.ValidateOptions(rules.WithBaseImage(ref)); err != nil {
			return err
		}
		o.baseImage = ref
		return nil
	}
}

// WithIgnorePragmas(false) makes Fix disregard the file's inline ignore
// comments ("# whittle ignore=", "# hadolint ignore=" and the global
// forms), as lint does with rules.WithIgnorePragmas(false): the findings
// they silenced are repaired too. On by default.
func WithIgnorePragmas(enabled bool) Option {
	return func(o *options) error {
		o.lint = append(o.lint, rules.WithIgnorePragmas(enabled))
		return nil
	}
}

// withLintOptions adds options to every lint run (tests).
func withLintOptions(opts ...rules.Option) Option {
	return func(o *options) error {
		o.lint = append(o.lint, opts...)
		return nil
	}
}

// ruleSet resolves IDs to whittle rule IDs that have a repair.
func ruleSet(ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, list := range ids {
		for _, id := range strings.Split(list, ",") {
			id = strings.ToUpper(strings.TrimSpace(id))
			if id == "" {
				continue
			}
			wh := resolveID(id)
			if len(wh) == 0 {
				return nil, &UnknownRuleError{ID: id, Known: knownID(id)}
			}
			for _, w := range wh {
				out[w] = true
			}
		}
	}
	return out, nil
}

// resolveID maps a whittle or hadolint rule ID to the whittle IDs that
// have a repair; nil when none has.
func resolveID(id string) []string {
	var out []string
	for _, m := range rules.Metas() {
		if m.Repair == 0 {
			continue
		}
		if m.ID == id || slices.ContainsFunc(m.Hadolint, func(h string) bool { return strings.EqualFold(h, id) }) {
			out = append(out, m.ID)
		}
	}
	return out
}

// Rules returns the IDs of the rules that have a repair, sorted.
func Rules() []string { return rules.Repairable() }

// UnknownRuleError names a rule ID that has no repair; it matches
// ErrUnknownRule with errors.Is. Known is true when the ID names a rule
// (one without a repair), false when it names none.
type UnknownRuleError struct {
	ID    string
	Known bool
}

func (e *UnknownRuleError) Error() string {
	if !e.Known {
		return fmt.Sprintf("unknown rule %q (repairable: %s)", e.ID, strings.Join(Rules(), ", "))
	}
	return fmt.Sprintf("rule %s: %v (repairable: %s)", e.ID, ErrUnknownRule, strings.Join(Rules(), ", "))
}

// knownID reports whether id is a whittle rule ID or a hadolint ID one
// maps.
func knownID(id string) bool {
	for _, m := range rules.Metas() {
		if m.ID == id || slices.ContainsFunc(m.Hadolint, func(h string) bool { return strings.EqualFold(h, id) }) {
			return true
		}
	}
	return false
}

// Is makes errors.Is(err, ErrUnknownRule) true.
func (e *UnknownRuleError) Is(target error) bool { return target == ErrUnknownRule }

// ErrUnsettled is returned when repairs keep finding something to change
// after many rounds (a bug: each repair must see its own work as done).
var ErrUnsettled = errors.New("repairs did not settle")

// ErrUnknownRule is returned by WithRules and WithSkip for an ID that has no
// repair.
var ErrUnknownRule = errors.New("no repair for this rule")

// Change is one repair made, in plain data.
type Change struct {
	// Rule is the rule ID of the finding the repair answers ("WH201").
	Rule string `json:"rule"`
	// Line is the 1-based line of the input where the finding was.
	Line int `json:"line"`
	// Message says what changed (the repair's message), in a sentence
	// without a final period.
	Message string `json:"message"`
	// Applicability is the repair's: safe, or unsafe when WithUnsafeFixes
	// (or WithBaseImage, for its switch) let it in.
	Applicability rules.Applicability `json:"applicability"`
	// Reason is the repair's reason, for an unsafe one: what it may
	// change beyond the layer.
	Reason string `json:"reason,omitempty"`
	// Round is the 1-based round of repairs that made the change. Lint
	// ran on the input before round 1; a later round answers a finding
	// that earlier repairs revealed (a merged RUN whose cache is then
	// cleaned).
	Round int `json:"round"`
}

// Result is the outcome of Fix.
type Result struct {
	// Output is the repaired Dockerfile; equal to the input when Changes
	// is empty.
	Output []byte
	// Changes are the repairs made, by input line.
	Changes []Change
	// Remaining are lint's findings on Output: those with a repair that
	// Fix did not apply (unsafe without WithUnsafeFixes, display-only,
	// left out by WithRules or WithSkip, or one whose result would not
	// parse), and those no repair answers.
	Remaining []rules.Finding
}

// Changed reports whether Fix changed anything.
func (r *Result) Changed() bool { return len(r.Changes) > 0 }

// maxPasses bounds the repair loop. Each pass makes at least one change
// and no repair undoes another, so real files settle in a few.
const maxPasses = 64

// Fix repairs src: it runs whittle's rules (package rules) and applies the
// repairs their findings carry, in rounds, until no finding has a repair
// left to apply. It returns an error (a *dockerfile.ParseError) when src
// does not parse; a repair that would break parsing is not made.
func Fix(src []byte, opts ...Option) (res *Result, err error) {
	defer func() {
		// A repair that trips over an input nobody foresaw must not take
		// the caller down: report it as an error instead.
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("repairing: internal error: %v", r)
		}
	}()
	o := options{name: "Dockerfile"}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	lintOpts := append([]rules.Option(nil), o.lint...)
	if o.baseImage != "" {
		lintOpts = append(lintOpts, rules.WithBaseImage(o.baseImage))
	}
	f, err := dockerfile.Parse(o.name, src)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", o.name, err)
	}
	res = &Result{Output: src}
	var history []*edit.Set // sets applied so far, oldest first
	for pass := 0; ; pass++ {
		// Lint does no I/O without WithRegistryLookups.
		found, err := rules.Lint(context.Background(), f, lintOpts...)
		if err != nil {
			return nil, fmt.Errorf("repairing %s: %w", o.name, err)
		}
		cands := o.candidates(f, found)
		var set *edit.Set
		var kept []candidate
		var nf *dockerfile.File
		if len(cands) > 0 {
			set, kept, nf = applyChecked(o.name, f, cands)
		}
		if len(kept) == 0 {
			res.Remaining = found
			break
		}
		if pass+1 >= maxPasses {
			// A repair that keeps firing would break idempotency: refuse
			// rather than return a text a second run would change again.
			return nil, fmt.Errorf("repairing %s: %w", o.name, ErrUnsettled)
		}
		for _, c := range kept {
			r := c.f.Repair
			res.Changes = append(res.Changes, Change{
				Rule:          c.f.Rule,
				Line:          originLine(src, history, lineOffset(f.Src, c.f.Line)),
				Message:       inputLines(r.Message, src, history, f.Src),
				Applicability: r.Applicability,
				Reason:        inputLines(unsafeReason(r), src, history, f.Src),
				Round:         pass + 1,
			})
		}
		history = append(history, set)
		f = nf
	}
	res.Output = f.Src
	sort.SliceStable(res.Changes, func(i, j int) bool { return res.Changes[i].Line < res.Changes[j].Line })
	return res, nil
}

func unsafeReason(r *rules.Repair) string {
	if r.Applicability == rules.Unsafe {
		return r.Reason
	}
	return ""
}

// candidate is a finding whose repair may be applied in this round.
type candidate struct {
	f     rules.Finding
	edits []edit.Edit
	// insts are the instructions the edits touch.
	insts []int
}

// candidates returns the findings whose repairs Fix may apply, each repair
// once, in the order their edits go in: by offset, and at one offset in
// cleanupOrder (apt-get clean before the lists go, as Debian's images
// write it).
func (o *options) candidates(f *dockerfile.File, found []rules.Finding) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, fd := range found {
		r := fd.Repair
		if r == nil || len(r.Edits) == 0 || !o.enabled(fd.Rule) || !o.allowed(fd.Rule, r.Applicability) {
			continue
		}
		key := fmt.Sprint(r.Edits)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, candidate{f: fd, edits: r.ByteEdits(), insts: touched(f, r.ByteEdits())})
	}
	sort.SliceStable(out, func(i, j int) bool {
		// Repairs that move text between instructions go first: the
		// cleanups of the instructions they touch wait for the next
		// round, where they are computed on the moved text once.
		if mi, mj := len(out[i].insts) > 1, len(out[j].insts) > 1; mi != mj {
			return mi
		}
		a, b := out[i].edits[0].Start, out[j].edits[0].Start
		if a != b {
			return a < b
		}
		return rank(out[i].f.Rule) < rank(out[j].f.Rule)
	})
	return out
}

// cleanupOrder ranks rules whose commands can land at one offset (the end
// of a RUN): a tool's own cleanup before plain removals of directories.
var cleanupOrder = []string{"WH203", "WH401", "WH402", "WH403", "WH502", "WH503", "WH505", "WH201", "WH302", "WH602", "WH601"}

func rank(rule string) int {
	if i := slices.Index(cleanupOrder, rule); i >= 0 {
		return i
	}
	return -1
}

func (o *options) enabled(rule string) bool {
	if o.only != nil && !o.only[rule] {
		return false
	}
	return !o.skip[rule]
}

// allowed reports whether a repair of this applicability is applied: safe
// ones always, unsafe ones with WithUnsafeFixes (the base switch also
// when WithBaseImage asks for it), display-only ones never.
func (o *options) allowed(rule string, a rules.Applicability) bool {
	switch a {
	case rules.Safe:
		return true
	case rules.Unsafe:
		return o.unsafe || rule == "WH701" && o.baseImage != ""
	}
	return false
}

// touched returns the indexes of the instructions of f that edits touch.
func touched(f *dockerfile.File, edits []edit.Edit) []int {
	var out []int
	for _, in := range f.Instructions {
		s, e := in.Range.Start.Offset, in.Range.End.Offset
		for _, ed := range edits {
			hit := ed.Start < e && s < ed.End
			if ed.Start == ed.End {
				hit = s <= ed.Start && ed.Start <= e
			}
			if hit {
				out = append(out, in.Index)
				break
			}
		}
	}
	return out
}

// claims tracks which instructions the repairs accepted in a pass touch. A
// repair that touches several instructions (a merge, COPY --chown) moves
// text other repairs were computed on: it accepts no other repair on them
// in the same pass.
type claims struct {
	touched   map[int]bool
	exclusive map[int]bool
}

// can reports whether a repair touching insts may join the pass.
func (c *claims) can(insts []int) bool {
	exclusive := len(insts) > 1
	for _, i := range insts {
		if c.exclusive[i] || (exclusive && c.touched[i]) {
			return false
		}
	}
	return true
}

// record notes the instructions a repair that joined the pass touches.
func (c *claims) record(insts []int) {
	if c.touched == nil {
		c.touched, c.exclusive = map[int]bool{}, map[int]bool{}
	}
	for _, i := range insts {
		c.touched[i] = true
		if len(insts) > 1 {
			c.exclusive[i] = true
		}
	}
}

// applyChecked adds the candidates to one edit set, in order, keeping only
// those that do not overlap an earlier one and keep the file valid. It
// returns the set, the candidates kept and the parsed result.
func applyChecked(name string, f *dockerfile.File, cands []candidate) (*edit.Set, []candidate, *dockerfile.File) {
	set := edit.NewSet(f.Src)
	var kept []candidate
	var cl claims
	for _, c := range cands {
		if !cl.can(c.insts) || set.Add(c.edits...) != nil {
			continue
		}
		cl.record(c.insts)
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return set, nil, f
	}
	if nf, ok := valid(name, f, set.Apply(), set.Edits()); ok {
		return set, kept, nf
	}
	// Something broke: retry one repair at a time, keeping the good ones.
	set = edit.NewSet(f.Src)
	var good []candidate
	var nf *dockerfile.File
	for _, c := range kept {
		trial := edit.NewSet(f.Src)
		if trial.Add(append(allEdits(good), c.edits...)...) != nil {
			continue
		}
		if g, ok := valid(name, f, trial.Apply(), trial.Edits()); ok {
			good = append(good, c)
			set, nf = trial, g
		}
	}
	if len(good) == 0 {
		return set, nil, f
	}
	return set, good, nf
}

func allEdits(cs []candidate) []edit.Edit {
	var out []edit.Edit
	for _, c := range cs {
		out = append(out, c.edits...)
	}
	return out
}

// valid parses out and checks that every RUN overlapping an edit has a
// shell script that parses, and that the instructions are those of f less
// the ones an edit deleted whole (no edit joined or split instructions).
func valid(name string, f *dockerfile.File, out []byte, edits []edit.Edit) (*dockerfile.File, bool) {
	nf, err := dockerfile.Parse(name, out)
	if err != nil {
		return nil, false
	}
	deleted := 0
	for _, in := range f.Instructions {
		for _, e := range edits {
			if e.Start <= edit.LineStart(f.Src, in.Range.Start.Offset) && in.Range.End.Offset <= e.End {
				deleted++
				break
			}
		}
	}
	if len(nf.Instructions) != len(f.Instructions)-deleted {
		return nil, false
	}
	// Output ranges of the edits.
	type span struct{ start, end int }
	var spans []span
	delta := 0
	for _, e := range edits {
		s := e.Start + delta
		spans = append(spans, span{s, s + len(e.Text)})
		delta += len(e.Text) - (e.End - e.Start)
	}
	for in := range nf.All() {
		if in.Kind != dockerfile.KindRun || in.Run == nil || in.Run.Script == nil {
			continue
		}
		for _, sp := range spans {
			if sp.start <= in.Range.End.Offset && in.Range.Start.Offset <= sp.end {
				if in.Run.Script.Err != nil {
					return nil, false
				}
			}
		}
	}
	return nf, true
}

// lineOffset returns the offset of the first byte of a 1-based line.
func lineOffset(src []byte, line int) int {
	off := 0
	for n := 1; n < line; n++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return off
}

// lineRefs matches the line numbers a repair's message or reason cites
// ("line 4", "lines 3 and 5", "lines 2 to 6", "lines 5, 7").
var lineRefs = regexp.MustCompile(`\blines? \d+(?:(?:, | and | to )\d+)*`)

// inputLines rewrites the line numbers that text cites, which are lines of
// cur (the text after len(history) rounds), as lines of the input src, as
// the summary gives every change: "the RUNs at line 9" of a later round
// names the RUN the user sees at line 10.
func inputLines(text string, src []byte, history []*edit.Set, cur []byte) string {
	if len(history) == 0 || text == "" {
		return text
	}
	digits := regexp.MustCompile(`\d+`)
	return lineRefs.ReplaceAllStringFunc(text, func(ref string) string {
		return digits.ReplaceAllStringFunc(ref, func(n string) string {
			line, err := strconv.Atoi(n)
			if err != nil || line < 1 {
				return n
			}
			return strconv.Itoa(originLine(src, history, lineOffset(cur, line)))
		})
	})
}

// originLine maps an offset in the text after len(history) passes back to
// a 1-based line of the input.
func originLine(src []byte, history []*edit.Set, off int) int {
	for i := len(history) - 1; i >= 0; i-- {
		off = history[i].Origin(off)
	}
	if off > len(src) {
		off = len(src)
	}
	return bytes.Count(src[:off], []byte("\n")) + 1
}
