package fix

import (
	"errors"
	"strings"
	"testing"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/rules"
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
	cand := func(msg string, e edit.Edit) candidate {
		return candidate{f: rules.Finding{Rule: "WH000", Repair: &rules.Repair{Message: msg}}, edits: []edit.Edit{e}}
	}
	nl := strings.Index(string(src), "a\n") + 1
	bad1 := cand("joins two RUNs", edit.Replace(nl, nl+1, " "))
	bad2 := cand("unbalanced quote", edit.Insert(nl, " '"))
	endB := len(src) - 1
	good := cand("appends", edit.Insert(endB, " && echo c"))
	set, kept, nf := applyChecked("Dockerfile", f, []candidate{bad1, good})
	if len(kept) != 1 || kept[0].f.Repair.Message != "appends" {
		t.Fatalf("kept %v", kept)
	}
	if got := string(set.Apply()); got != "FROM alpine\nRUN echo a\nRUN echo b && echo c\n" || nf == nil {
		t.Errorf("got %q", got)
	}
	_, kept, _ = applyChecked("Dockerfile", f, []candidate{bad2})
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

// appendRule is a test rule: on every RUN that does not end in "true" (or
// on every RUN, when always is set) it reports a finding whose safe repair
// appends " && true".
type appendRule struct{ always bool }

func (appendRule) Meta() rules.Meta {
	return rules.Meta{ID: "WH990", Name: "test-append", Summary: "test", Doc: "docs/rules/WH990.md", Repair: rules.Safe}
}

func (r appendRule) Check(p *rules.Pass) []rules.Finding {
	var out []rules.Finding
	for _, in := range p.File.Instructions {
		if in.Kind != dockerfile.KindRun || (!r.always && strings.HasSuffix(in.Original, "true")) {
			continue
		}
		fd := p.FindingAt(in.Range, "test", "")
		end := in.Range.End.Offset
		fd.Repair = &rules.Repair{Message: "append true", Applicability: rules.Safe,
			Edits: []rules.Edit{{Start: end, End: end, Text: " && true"}}}
		out = append(out, fd)
	}
	return out
}

func TestFixRefusesRepairsThatNeverSettle(t *testing.T) {
	_, err := Fix([]byte("FROM a\nRUN echo\n"), withLintOptions(rules.WithRuleSet(appendRule{always: true})))
	if !errors.Is(err, ErrUnsettled) {
		t.Fatalf("want ErrUnsettled, got %v", err)
	}
	res, err := Fix([]byte("FROM a\nRUN echo\n"), withLintOptions(rules.WithRuleSet(appendRule{})))
	if err != nil || string(res.Output) != "FROM a\nRUN echo && true\n" {
		t.Fatalf("got %v, %q", err, res.Output)
	}
}
