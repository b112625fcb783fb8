package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/whittle/whittle/internal/testenv"
	"github.com/whittle/whittle/pkg/dockerfile"
)

// scalingBody is the instructions of every single-stage case that makes
// its rule fire, one after the other: a stage in which most rules find
// something, and look back and forward over the others.
func scalingBody() string {
	var b strings.Builder
	for _, c := range ruleCases {
		if !c.want || strings.Count(c.src, "FROM ") != 1 {
			continue
		}
		for _, l := range strings.SplitAfter(c.src, "\n") {
			if l == "" || strings.HasPrefix(l, "FROM ") {
				continue
			}
			b.WriteString(strings.TrimSuffix(l, "\n") + "\n")
		}
	}
	return b.String()
}

// lintWork lints src and returns the bytes allocated.
func lintWork(t *testing.T, src string) float64 {
	t.Helper()
	var err error
	b := testenv.AllocBytes(func() {
		var f *dockerfile.File
		f, err = dockerfile.Parse("Dockerfile", []byte(src))
		if err == nil {
			_, err = Lint(context.Background(), f)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lintCompares lints src and returns the comparisons the rules made
// (compares).
func lintCompares(t *testing.T, src string) float64 {
	t.Helper()
	f, err := dockerfile.Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	before := compares.Load()
	if _, err := Lint(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	return float64(compares.Load() - before)
}

// Linting costs work in the number of instructions (issue 11: 2000,
// 4000, 8000 RUN lines took 0.41 s, 1.28 s and 4.74 s): the questions
// rules ask about earlier and later RUNs are answered from indexes
// (index.go, layer_index.go), never by reading the file again for each.
func TestLintLinearInInstructions(t *testing.T) {
	body := scalingBody()
	for _, tc := range []struct {
		name string
		src  func(n int) string
	}{
		{"every rule's case, repeated in one stage", func(n int) string {
			return "FROM debian:12\n" + strings.Repeat(body, n)
		}},
		{"RUN lines that install and download", func(n int) string {
			var b strings.Builder
			b.WriteString("FROM debian:12\n")
			for i := range n * 50 {
				fmt.Fprintf(&b, "RUN apt-get update && apt-get install -y curl pkg%d && curl -fsSL -o /tmp/f%d.tgz https://example.com/%d.tgz && tar -xzf /tmp/f%d.tgz -C /opt\n", i, i, i, i)
			}
			b.WriteString("RUN rm -rf /tmp/* /var/lib/apt/lists/*\n")
			return b.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testenv.Linear(t, "lint: "+tc.name, 2, func(n int) float64 { return lintWork(t, tc.src(n)) })
			testenv.Linear(t, "lint comparisons: "+tc.name, 2, func(n int) float64 { return lintCompares(t, tc.src(n)) })
		})
	}
}

// A merge repair moves at most maxMergeSpan instructions: the finding
// stands, without a repair, when the RUNs are further apart.
func TestMergeSpanLimit(t *testing.T) {
	for _, between := range []int{maxMergeSpan - 2, maxMergeSpan} {
		var b strings.Builder
		b.WriteString("FROM debian\nRUN cp /etc/hosts /opt/x.bin\n")
		for i := range between {
			fmt.Fprintf(&b, "RUN touch /f%d\n", i)
		}
		b.WriteString("RUN rm /opt/x.bin\n")
		var wh101 []Finding
		for _, f := range lintString(t, b.String()) {
			if f.Rule == "WH101" {
				wh101 = append(wh101, f)
			}
		}
		if len(wh101) != 1 {
			t.Fatalf("%d between: %d WH101 findings", between, len(wh101))
		}
		if got, want := wh101[0].Repair != nil, between+2 <= maxMergeSpan; got != want {
			t.Errorf("%d instructions between: repair %v, want %v", between, got, want)
		}
	}
}

// A script nested deeper than dockerfile.MaxShellNesting is reported by
// WH000 and not read further, so that linting costs time in the size of
// the script whatever its depth (issue 11: 10,000 levels of $( took 103 s
// and 665 MB); below the limit, a script is read as before.
func TestLintLinearInNesting(t *testing.T) {
	nest := func(open, inner, shut string) func(int) string {
		return func(depth int) string {
			return strings.Repeat(open, depth) + inner + strings.Repeat(shut, depth)
		}
	}
	for _, tc := range []struct {
		name string
		run  func(depth int) string // the RUN's script
		// levels is how many levels of nesting one step of depth makes
		// (0: the nesting is inside a sh -c string, read apart).
		levels int
	}{
		{"command substitutions", nest("echo $(", "echo x", ")"), 1},
		{"command substitutions on continuation lines", nest("echo $( \\\n", "echo x", ")"), 1},
		{"subshells", nest("( ", "echo x", " )"), 1},
		{"parameter expansions", nest("echo ${A:-", "x", "}"), 1},
		{"quoted substitutions", nest(`echo "$(`, "echo x", `)"`), 2},
		{"inside sh -c", func(depth int) string { return "sh -c '" + nest("echo $(", "echo x", ")")(depth) + "'" }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := func(depth int) string {
				return "FROM debian:12\nRUN " + tc.run(depth) + " && apt-get install -y curl\n"
			}
			testenv.Linear(t, "lint: "+tc.name, dockerfile.MaxShellNesting*4, func(n int) float64 { return lintWork(t, src(n)) })
			for _, depth := range []int{dockerfile.MaxShellNesting / 8, dockerfile.MaxShellNesting * 3} {
				deep := false
				for _, f := range lintString(t, src(depth)) {
					if f.Rule == "WH000" {
						if !strings.Contains(f.Message, "too deep to read") {
							t.Fatalf("depth %d: %s", depth, f.Message)
						}
						deep = true
					}
				}
				if want := depth*tc.levels > dockerfile.MaxShellNesting; deep != want {
					t.Errorf("depth %d: reported too deep %v, want %v", depth, deep, want)
				}
			}
		})
	}
}

// chainSrc is a chain of n stages, each built FROM the one before and
// downloading and extracting an archive of its own.
func chainSrc(n int) string {
	var b strings.Builder
	b.WriteString("FROM debian:12 AS s0\nRUN apt-get update && apt-get install -y curl\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "FROM s%d AS s%d\nRUN curl -o /tmp/x%d.tgz https://example.com/%d && tar xzf /tmp/x%d.tgz\n", i-1, i, i, i, i)
	}
	return b.String()
}

// A chain of stages each built FROM the one before (issue 11: 500, 1000,
// 2000 stages took 3.3 s, 9.3 s and 73 s) costs work in its length: the
// layer rules read the maxStageChain nearest stages of a chain, and what
// every stage inherits is remembered once per file.
func TestLintLinearInStageChain(t *testing.T) {
	testenv.Linear(t, "lint: a chain of stages", maxStageChain, func(n int) float64 { return lintWork(t, chainSrc(n)) })
	testenv.Linear(t, "lint comparisons: a chain of stages", maxStageChain, func(n int) float64 { return lintCompares(t, chainSrc(n)) })
}

// Beyond maxStageChain stages, WH000 says so once, at the first stage cut,
// and the layer rules still see what the nearest stages made.
func TestStageChainLimit(t *testing.T) {
	for _, tc := range []struct {
		remover int // the stage that removes what stage 1 installed
		wh101   bool
	}{
		{maxStageChain - 1, true}, // stage 1 is among its maxStageChain nearest
		{maxStageChain + 1, false},
	} {
		var b strings.Builder
		b.WriteString("FROM debian:12 AS s0\nFROM s0 AS s1\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/*\n")
		for i := 2; i <= maxStageChain+3; i++ {
			fmt.Fprintf(&b, "FROM s%d AS s%d\n", i-1, i)
			if i == tc.remover {
				b.WriteString("RUN apt-get purge -y build-essential\n")
			}
		}
		var wh000, wh101 []Finding
		for _, f := range lintString(t, b.String()) {
			switch f.Rule {
			case "WH000":
				wh000 = append(wh000, f)
			case "WH101":
				wh101 = append(wh101, f)
			}
		}
		// s64, the 65th stage of the chain, is built FROM on line 66
		// (s_i on line i+2), one line later when the remover's RUN comes
		// before it.
		if len(wh000) != 1 || !strings.Contains(wh000[0].Message, "chain of 64 stages") {
			t.Fatalf("remover at s%d: WH000 findings %v", tc.remover, wh000)
		}
		want := 2 + maxStageChain
		if tc.remover < maxStageChain {
			want++
		}
		if wh000[0].Line != want {
			t.Errorf("remover at s%d: WH000 at line %d, want %d", tc.remover, wh000[0].Line, want)
		}
		if got := len(wh101) > 0; got != tc.wh101 {
			t.Errorf("remover at s%d: WH101 %v, want %v (%v)", tc.remover, got, tc.wh101, wh101)
		}
	}
}

// runSrc is one RUN of n chained commands that update, download, extract,
// install and remove.
func runSrc(n int) string {
	var b strings.Builder
	b.WriteString("FROM debian:12\nRUN apt-get update")
	for i := range n {
		fmt.Fprintf(&b, " \\\n && curl -o /tmp/x%d.tgz https://example.com/%d && tar xzf /tmp/x%d.tgz -C /opt && pip install p%d && rm -f /tmp/y%d", i, i, i, i, i)
	}
	b.WriteString("\n")
	return b.String()
}

// One RUN of many chained commands (issue 11: 500, 1000, 2000 lines of
// five commands took 0.78 s, 1.37 s and 9.6 s) costs work in its length:
// whether a later command of the RUN removes, extracts or cleans what one
// made is answered from indexes of the RUN built once (run_index.go).
func TestLintLinearInCommands(t *testing.T) {
	testenv.Linear(t, "lint: one RUN of chained commands", 32, func(n int) float64 { return lintWork(t, runSrc(n)) })
	testenv.Linear(t, "lint comparisons: one RUN of chained commands", 32, func(n int) float64 { return lintCompares(t, runSrc(n)) })
	script := scalingScript()
	every := func(n int) string {
		// One copy a line: a Dockerfile line is at most 64 KiB.
		return "FROM debian:12\nRUN " + strings.TrimSuffix(strings.Repeat(script+" \\\n && ", n), " \\\n && ") + "\n"
	}
	testenv.Linear(t, "lint: every rule's RUN, chained in one RUN", 2, func(n int) float64 { return lintWork(t, every(n)) })
	testenv.Linear(t, "lint comparisons: every rule's RUN, chained in one RUN", 2, func(n int) float64 { return lintCompares(t, every(n)) })
}

// scalingScript is the scripts of the one-line RUNs (no flags, no
// comment, no continuation, no heredoc) of every single-stage case that
// makes its rule fire, chained with &&.
func scalingScript() string {
	var parts []string
	for _, c := range ruleCases {
		if !c.want || strings.Count(c.src, "FROM ") != 1 {
			continue
		}
		for _, l := range strings.Split(c.src, "\n") {
			script, ok := strings.CutPrefix(l, "RUN ")
			if !ok || strings.HasPrefix(script, "-") || strings.HasPrefix(script, "[") || strings.ContainsAny(script, "#\\") || strings.Contains(script, "<<") {
				continue
			}
			parts = append(parts, "{ "+script+"; }")
		}
	}
	return strings.Join(parts, " && ")
}

// Once many texts have been asked about, mentionedLater looks for a text
// only in the instructions holding its rarest trigram: it finds what
// reading every instruction finds.
func TestMentionedLaterIndexed(t *testing.T) {
	var b strings.Builder
	b.WriteString("FROM debian:12\n")
	for i := range 3 * mentionScans {
		fmt.Fprintf(&b, "RUN curl -o /tmp/a%d.tgz https://example.com/%d && tar xzf /tmp/a%d.tgz\n", i, i, i%5)
	}
	b.WriteString("COPY x /tmp/a7.tgz\nENV P=/tmp\n")
	f, err := dockerfile.Parse("Dockerfile", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	p := &Pass{File: f, shared: newShared(f)}
	want := func(in *dockerfile.Instruction, text string) *dockerfile.Instruction {
		for _, x := range f.Instructions {
			if x.Index > in.Index && strings.Contains(x.Original, text) {
				return x
			}
		}
		return nil
	}
	texts := []string{"/tmp", "a7.tgz", "a3.tgz", "a1", "xzf /tmp/a2", "nowhere", "P=", "a", "tg"}
	for i := range 3 * mentionScans {
		texts = append(texts, fmt.Sprintf("a%d.tgz", i))
	}
	for _, text := range texts {
		for _, in := range f.Instructions {
			if got, w := p.mentionedLater(in, text), want(in, text); got != w {
				t.Fatalf("%q after line %d: got %v, want %v", text, in.Range.Start.Line, got, w)
			}
		}
	}
	if p.shared.mentionGrams == nil {
		t.Fatal("the trigram index was never used")
	}
}
