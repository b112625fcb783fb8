package fix

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// Option configures Fix.
type Option func(*options) error

type options struct {
	// repairers replaces allRepairers() in tests (withRepairers).
	repairers []repairer
	name      string
	only      map[string]bool
	skip      map[string]bool
	baseImage string
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
				return nil, &UnknownRuleError{ID: id}
			}
			for _, w := range wh {
				out[w] = true
			}
		}
	}
	return out, nil
}

// UnknownRuleError names a rule ID that has no repair; it matches
// ErrUnknownRule with errors.Is.
type UnknownRuleError struct{ ID string }

func (e *UnknownRuleError) Error() string {
	return fmt.Sprintf("rule %s: %v (repairable: %s)", e.ID, ErrUnknownRule, strings.Join(Rules(), ", "))
}

// Is makes errors.Is(err, ErrUnknownRule) true.
func (e *UnknownRuleError) Is(target error) bool { return target == ErrUnknownRule }

// WithBaseImage replaces the base image of the final stage with ref (rule
// WH701). Fix never switches a base image without it. When the name of ref
// tells its package manager (apt on Debian and Ubuntu, apk on Alpine, dnf,
// yum or microdnf on the RHEL family, none on scratch and distroless) and
// RUNs of the stage call another one, a second WH701 Change on the FROM
// line names those RUNs: the switch is made, but the file must be ported
// before it builds. Images whose name tells nothing get no warning.
func WithBaseImage(ref string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ref) == "" || strings.ContainsAny(ref, " \t\r\n") {
			return fmt.Errorf("setting base image %q: not an image reference", ref)
		}
		o.baseImage = ref
		return nil
	}
}

// ErrUnsettled is returned when repairs keep finding something to change
// after many rounds (a bug: each repair must see its own work as done).
var ErrUnsettled = errors.New("repairs did not settle")

// ErrUnknownRule is returned by WithRules and WithSkip for an ID that has no
// repair.
var ErrUnknownRule = errors.New("no repair for this rule")

// Change is one repair made, in plain data.
type Change struct {
	// Rule is the rule ID the repair answers ("WH201").
	Rule string `json:"rule"`
	// Line is the 1-based line of the input where the change starts.
	Line int `json:"line"`
	// Message says what changed, in a sentence without a final period.
	Message string `json:"message"`
}

// Result is the outcome of Fix.
type Result struct {
	// Output is the repaired Dockerfile; equal to the input when Changes
	// is empty.
	Output []byte
	// Changes are the repairs made, by input line.
	Changes []Change
}

// Changed reports whether Fix changed anything.
func (r *Result) Changed() bool { return len(r.Changes) > 0 }

// maxPasses bounds the repair loop. Each pass makes at least one change
// and no repair undoes another, so real files settle in two or three.
const maxPasses = 64

// Fix repairs src. It returns an error (a *dockerfile.ParseError) when src
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
	f, err := dockerfile.Parse(o.name, src)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", o.name, err)
	}
	res = &Result{Output: src}
	input := f
	var history []*edit.Set // sets applied so far, oldest first
	text := src
	settled := false
	for pass := 0; pass < maxPasses && !settled; pass++ {
		cands := o.collect(f)
		if len(cands) == 0 {
			settled = true
			break
		}
		set, kept, nf := applyChecked(o.name, f, cands)
		if len(kept) == 0 {
			settled = true
			break
		}
		for _, r := range kept {
			res.Changes = append(res.Changes, Change{
				Rule:    r.rule,
				Line:    originLine(src, history, r.at),
				Message: r.msg,
			})
		}
		history = append(history, set)
		text, f = set.Apply(), nf
	}
	if !settled {
		// A repair that keeps firing would break idempotency: refuse
		// rather than return a text a second run would change again.
		return nil, fmt.Errorf("repairing %s: %w", o.name, ErrUnsettled)
	}
	res.Output = text
	if o.baseImage != "" && switchedBase(res.Changes) {
		if c := baseMismatch(input, o.baseImage); c != nil {
			res.Changes = append(res.Changes, *c)
		}
	}
	sort.SliceStable(res.Changes, func(i, j int) bool { return res.Changes[i].Line < res.Changes[j].Line })
	return res, nil
}

// switchedBase reports whether a WH701 change (the base switch) was made.
func switchedBase(cs []Change) bool {
	for _, c := range cs {
		if c.Rule == "WH701" {
			return true
		}
	}
	return false
}

// repair is one candidate change: edits against the current text.
type repair struct {
	rule  string
	at    int // offset of the change in the current text, for its line
	msg   string
	edits []edit.Edit
	// insts are the instructions (by index) the repair edits; exclusive
	// repairs (merges) accept no other repair on them in the same pass,
	// since their edits were computed on text another repair moves.
	insts     []int
	exclusive bool
}

// claims tracks which instructions the repairs accepted in a pass touch.
type claims struct {
	touched   map[int]bool
	exclusive map[int]bool
}

// can reports whether r may join the pass.
func (c *claims) can(r repair) bool {
	for _, i := range r.insts {
		if c.exclusive[i] || (r.exclusive && c.touched[i]) {
			return false
		}
	}
	return true
}

// record notes the instructions r touches.
func (c *claims) record(r repair) {
	if c.touched == nil {
		c.touched, c.exclusive = map[int]bool{}, map[int]bool{}
	}
	for _, i := range r.insts {
		c.touched[i] = true
		if r.exclusive {
			c.exclusive[i] = true
		}
	}
}

// collect runs every enabled repairer over f.
func (o *options) collect(f *dockerfile.File) []repair {
	p := newPass(f, o)
	var out []repair
	rps := o.repairers
	if rps == nil {
		rps = allRepairers()
	}
	for _, rp := range rps {
		for _, r := range rp.find(p) {
			if r.rule == "" {
				r.rule = rp.rule
			}
			if o.enabled(r.rule) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (o *options) enabled(rule string) bool {
	if o.only != nil && !o.only[rule] {
		return false
	}
	return !o.skip[rule]
}

// applyChecked adds the candidates to one edit set, in order, keeping only
// those that do not overlap an earlier one and keep the file valid. It
// returns the set, the repairs kept and the parsed result.
func applyChecked(name string, f *dockerfile.File, cands []repair) (*edit.Set, []repair, *dockerfile.File) {
	set := edit.NewSet(f.Src)
	var kept []repair
	var cl claims
	for _, r := range cands {
		if !cl.can(r) || set.Add(r.edits...) != nil {
			continue
		}
		cl.record(r)
		kept = append(kept, r)
	}
	if len(kept) == 0 {
		return set, nil, f
	}
	if nf, ok := valid(name, f, set.Apply(), set.Edits()); ok {
		return set, kept, nf
	}
	// Something broke: retry one repair at a time, keeping the good ones.
	set = edit.NewSet(f.Src)
	var good []repair
	var nf *dockerfile.File
	for _, r := range kept {
		trial := edit.NewSet(f.Src)
		if trial.Add(append(allEdits(good), r.edits...)...) != nil {
			continue
		}
		if g, ok := valid(name, f, trial.Apply(), trial.Edits()); ok {
			good = append(good, r)
			set, nf = trial, g
		}
	}
	if len(good) == 0 {
		return set, nil, f
	}
	return set, good, nf
}

func allEdits(rs []repair) []edit.Edit {
	var out []edit.Edit
	for _, r := range rs {
		out = append(out, r.edits...)
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
