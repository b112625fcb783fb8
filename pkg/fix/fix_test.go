package fix

import (
	"errors"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// TestApplyCheckedDropsBadRepairs feeds the checker repairs that break
// the file in ways the parsers notice (a RUN that no longer parses, two
// instructions joined into one) next to a good one: only the good one is
// kept.
func TestApplyCheckedDropsBadRepairs(t *testing.T) {
	src := []byte("FROM alpine\nRUN echo a\nRUN echo b\n")
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		t.Fatal(err)
	}
	nl := strings.Index(string(src), "a\n") + 1
	bad1 := repair{rule: "WH000", msg: "joins two RUNs", edits: []edit.Edit{edit.Replace(nl, nl+1, " ")}}
	bad2 := repair{rule: "WH000", msg: "unbalanced quote", edits: []edit.Edit{edit.Insert(nl, " '")}}
	endB := len(src) - 1
	good := repair{rule: "WH000", msg: "appends", edits: []edit.Edit{edit.Insert(endB, " && echo c")}}
	set, kept, nf := applyChecked("Dockerfile", f, []repair{bad1, good})
	if len(kept) != 1 || kept[0].msg != "appends" {
		t.Fatalf("kept %v", kept)
	}
	if got := string(set.Apply()); got != "FROM alpine\nRUN echo a\nRUN echo b && echo c\n" || nf == nil {
		t.Errorf("got %q", got)
	}
	_, kept, _ = applyChecked("Dockerfile", f, []repair{bad2})
	if len(kept) != 0 {
		t.Errorf("kept a repair that breaks the shell: %v", kept)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		opt     Option
		wantErr error
	}{
		{"known", WithRules("WH201", "wh202"), nil},
		{"comma list", WithSkip("WH201,WH203"), nil},
		{"hadolint", WithRules("DL3009"), nil},
		{"unknown", WithRules("WH999"), ErrUnknownRule},
		{"unrepairable", WithSkip("WH104"), ErrUnknownRule},
		{"empty base", WithBaseImage(" "), errBadRef},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fix([]byte("FROM a\n"), tc.opt)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.wantErr == errBadRef && err == nil:
				t.Errorf("want an error")
			case tc.wantErr == ErrUnknownRule && !errors.Is(err, ErrUnknownRule):
				t.Errorf("want ErrUnknownRule, got %v", err)
			}
		})
	}
}

var errBadRef = errors.New("bad reference")

func TestFixRejectsUnparsable(t *testing.T) {
	_, err := Fix([]byte("FROM a\nRUN <<EOF\n"))
	var pe *dockerfile.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *dockerfile.ParseError, got %v", err)
	}
}

// withRepairers is a test-only option replacing the repairers.
func withRepairers(rps ...repairer) Option {
	return func(o *options) error {
		o.repairers = rps
		return nil
	}
}

func TestFixRefusesRepairsThatNeverSettle(t *testing.T) {
	again := repairer{rule: "WH201", find: func(p *pass) []repair {
		rc := p.runs[0]
		return []repair{{rule: "WH201", at: rc.appendAt, msg: "again", edits: []edit.Edit{rc.appendCmds("true")}, insts: []int{rc.in.Index}}}
	}}
	_, err := Fix([]byte("FROM a\nRUN echo\n"), withRepairers(again))
	if !errors.Is(err, ErrUnsettled) {
		t.Fatalf("want ErrUnsettled, got %v", err)
	}
	once := repairer{rule: "WH201", find: func(p *pass) []repair {
		rc := p.runs[0]
		if strings.Contains(rc.in.Original, "true") {
			return nil
		}
		return []repair{{rule: "WH201", at: rc.appendAt, msg: "once", edits: []edit.Edit{rc.appendCmds("true")}, insts: []int{rc.in.Index}}}
	}}
	res, err := Fix([]byte("FROM a\nRUN echo\n"), withRepairers(once))
	if err != nil || string(res.Output) != "FROM a\nRUN echo && true\n" {
		t.Fatalf("got %v, %q", err, res.Output)
	}
}
