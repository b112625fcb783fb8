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

// TestInputLines: the line numbers a later round's repair cites are lines
// of the text after the earlier rounds; the summary gives them as lines of
// the input.
func TestInputLines(t *testing.T) {
	src := []byte("a\nb\nc\nd\n")
	set := edit.NewSet(src)
	if err := set.Add(edit.Delete(0, 2)); err != nil { // line 1 goes
		t.Fatal(err)
	}
	cur := set.Apply() // b, c, d: their input lines are 2, 3, 4
	history := []*edit.Set{set}
	for _, c := range []struct{ in, want string }{
		{"merge the RUNs at lines 1 and 3", "merge the RUNs at lines 2 and 4"},
		{"lines 1 to 3, then line 2 (line 3)", "lines 2 to 4, then line 3 (line 4)"},
		{"give the RUNs at lines 1, 2, 3", "give the RUNs at lines 2, 3, 4"},
		{"no numbers here, 3 of them", "no numbers here, 3 of them"},
		{"", ""},
	} {
		if got := inputLines(c.in, src, history, cur); got != c.want {
			t.Errorf("inputLines(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Round 1: the lines are the input's already.
	if got := inputLines("line 1", src, nil, src); got != "line 1" {
		t.Errorf("without history: %q", got)
	}
	// Through Fix: the update RUN at line 2 goes in round 1, so round 2's
	// repair of the RUN at line 4 names the RUN at input line 6 (line 5
	// after round 1).
	in := "FROM debian:bookworm\nRUN apt-get update\nCOPY x /x\nRUN apt-get install -y --no-install-recommends curl\nCOPY y /y\nRUN apt-get install -y --no-install-recommends jq\n"
	res, err := Fix([]byte(in), WithUnsafeFixes(true))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range res.Changes {
		if c.Rule == "WH201" && c.Round == 2 {
			found = true
			if c.Line != 4 || !strings.Contains(c.Message, "the RUN at line 6 ") {
				t.Errorf("round 2's WH201 change: line %d, %q; want line 4 naming the RUN at line 6", c.Line, c.Message)
			}
		}
	}
	if !found {
		t.Errorf("no WH201 change in round 2: %+v", res.Changes)
	}
}

// WithIgnorePragmas(false) repairs what the inline ignores silenced, as
// lint then reports it; by default they keep fix away.
func TestIgnorePragmas(t *testing.T) {
	in := "FROM local/debian:bookworm\n# hadolint ignore=DL3009\nRUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean\n"
	want := "FROM local/debian:bookworm\n# hadolint ignore=DL3009\nRUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get clean && \\\n    rm -rf /var/lib/apt/lists/*\n"
	for _, tc := range []struct {
		opts []Option
		want string
	}{
		{nil, in},
		{[]Option{WithIgnorePragmas(true)}, in},
		{[]Option{WithIgnorePragmas(false)}, want},
	} {
		res, err := Fix([]byte(in), tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Output) != tc.want {
			t.Errorf("%d options: got\n%s\nwant\n%s", len(tc.opts), res.Output, tc.want)
		}
	}
}
