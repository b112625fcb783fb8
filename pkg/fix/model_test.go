package fix

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/rules"
)

// checkModel holds fix to lint's word on one Dockerfile, in both modes
// (safe repairs only, and with unsafe ones):
//   - every change of the first round answers a finding lint reports on
//     the input, at its line, with that finding's repair, of an
//     applicability the mode applies;
//   - after fix, lint reports no finding whose repair the mode would
//     apply: what lint calls fixable, fix fixed;
//   - a file where lint offers nothing the mode applies comes back
//     byte-identical;
//   - the output parses, RUNs that parsed still parse, and a second fix
//     changes nothing (checkGuarantees).
func checkModel(t *testing.T, src []byte) {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		t.Fatalf("input does not parse: %v", err)
	}
	found, err := rules.Lint(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	for _, unsafe := range []bool{false, true} {
		o := options{unsafe: unsafe}
		applies := func(r *rules.Repair) bool { return r != nil && o.allowed("", r.Applicability) }
		res, err := Fix(src, WithUnsafeFixes(unsafe))
		if err != nil {
			t.Fatalf("unsafe=%v: %v", unsafe, err)
		}
		offered := false
		for _, fd := range found {
			offered = offered || applies(fd.Repair)
		}
		if !offered && !bytes.Equal(res.Output, src) {
			t.Errorf("unsafe=%v: lint offers no repair to apply, but fix changed the file:\n%s", unsafe, res.Output)
		}
		for _, c := range res.Changes {
			if !o.allowed("", c.Applicability) {
				t.Errorf("unsafe=%v: change %+v has an applicability this mode does not apply", unsafe, c)
			}
			if c.Round != 1 {
				continue
			}
			ok := false
			for _, fd := range found {
				if fd.Rule == c.Rule && fd.Line == c.Line && applies(fd.Repair) && fd.Repair.Message == c.Message {
					ok = true
				}
			}
			if !ok {
				t.Errorf("unsafe=%v: change %+v answers no finding of lint on the input", unsafe, c)
			}
		}
		for _, fd := range res.Remaining {
			if applies(fd.Repair) {
				t.Errorf("unsafe=%v: after fix, lint still offers %s at line %d: %s (%s)\n%s", unsafe, fd.Rule, fd.Line, fd.Repair.Message, fd.Repair.Applicability, res.Output)
			}
		}
		checkGuarantees(t, src, res.Output, WithUnsafeFixes(unsafe))
		if !unsafe {
			checkSafeThenUnsafe(t, src, res.Output)
		}
	}
}

// checkSafeThenUnsafe holds that fix, then fix --unsafe-fixes on its
// output, is never a dead end: every finding left then is left also by
// fix --unsafe-fixes on the input (compared by rule and count), so that a
// safe repair never takes away an unsafe one.
func checkSafeThenUnsafe(t *testing.T, src, safe []byte) {
	t.Helper()
	direct, err := Fix(src, WithUnsafeFixes(true))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Fix(safe, WithUnsafeFixes(true))
	if err != nil {
		t.Fatalf("fix --unsafe-fixes after fix: %v", err)
	}
	left := map[string]int{}
	for _, fd := range direct.Remaining {
		left[fd.Rule]++
	}
	for _, fd := range twice.Remaining {
		if left[fd.Rule]--; left[fd.Rule] < 0 {
			t.Errorf("fix, then fix --unsafe-fixes, leaves %s at line %d (%s), which fix --unsafe-fixes alone repairs:\n%s", fd.Rule, fd.Line, fd.Message, twice.Output)
		}
	}
}

// TestModelGolden holds the model over the golden inputs and the hazard
// cases.
func TestModelGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/golden/*.in")
	for _, in := range ins {
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(src, []byte("# fix-options:")) {
			continue // options beyond the model's two modes
		}
		t.Run(filepath.Base(in), func(t *testing.T) { checkModel(t, src) })
	}
	for _, h := range hazards {
		t.Run("hazard/"+h.name, func(t *testing.T) { checkModel(t, []byte(h.in)) })
	}
}
