package dockerfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// wordAt is a shell word expected at a 1-based line and column of Src.
type wordAt struct {
	text      string
	line, col int
}

type instAt struct {
	kind               Kind
	line, col          int
	endLine, endCol    int
	script             string // "" = do not check
	words              []wordAt
	flags              []string // flag words as they appear in Src
	onbuildScriptWords []wordAt
}

var positionCases = []struct {
	name  string
	src   string
	insts []instAt
}{
	{
		name: "continuations with comment and empty lines",
		src:  "FROM alpine:3.19\nRUN apk add \\\n# a comment\n    curl \\\n\n    git\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 17},
			{kind: KindRun, line: 2, col: 1, endLine: 6, endCol: 8, script: "apk add     curl     git",
				words: []wordAt{{"apk", 2, 5}, {"add", 2, 9}, {"curl", 4, 5}, {"git", 6, 5}}},
		},
	},
	{
		name: "indented instruction and trailing spaces after continuation",
		src:  "FROM debian\n  RUN apt-get update \\  \n\t&& apt-get install -y curl\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 3, endLine: 3, endCol: 28, script: "apt-get update \t&& apt-get install -y curl",
				words: []wordAt{{"apt-get", 2, 7}, {"update", 2, 15}, {"apt-get", 3, 5}, {"install", 3, 13}, {"-y", 3, 21}, {"curl", 3, 24}}},
		},
	},
	{
		name: "escape directive with backtick",
		src:  "# escape=`\nFROM alpine\nRUN echo C:\\path `\n  && ls -l\n",
		insts: []instAt{
			{kind: KindFrom, line: 2, col: 1, endLine: 2, endCol: 12},
			{kind: KindRun, line: 3, col: 1, endLine: 4, endCol: 11, script: "echo C:\\path   && ls -l",
				words: []wordAt{{"echo", 3, 5}, {"C:\\path", 3, 10}, {"ls", 4, 6}, {"-l", 4, 9}}},
		},
	},
	{
		name: "heredoc body as script",
		src:  "FROM alpine\nRUN <<EOF\napk add curl\nrm -rf /x\nEOF\nUSER nobody\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 5, endCol: 4, script: "apk add curl\nrm -rf /x\n",
				words: []wordAt{{"apk", 3, 1}, {"curl", 3, 9}, {"rm", 4, 1}, {"/x", 4, 8}}},
			{kind: KindUser, line: 6, col: 1, endLine: 6, endCol: 12},
		},
	},
	{
		name: "heredoc fed to a command",
		src:  "FROM alpine\nRUN cat <<EOT > /f && echo done\nhello\nEOT\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 4, endCol: 4, script: "cat <<EOT > /f && echo done\nhello\nEOT",
				words: []wordAt{{"cat", 2, 5}, {"/f", 2, 17}, {"echo", 2, 23}, {"done", 2, 28}}},
		},
	},
	{
		name: "chomped heredoc",
		src:  "FROM alpine\nRUN <<-EOF\n\tapk add x\n\tEOF\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 4, endCol: 5, script: "apk add x\n",
				words: []wordAt{{"apk", 3, 2}, {"add", 3, 6}, {"x", 3, 10}}},
		},
	},
	{
		name: "onbuild trigger",
		src:  "FROM alpine\nONBUILD RUN apk add \\\n    x\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindOnbuild, line: 2, col: 1, endLine: 3, endCol: 6,
				onbuildScriptWords: []wordAt{{"apk", 2, 13}, {"add", 2, 17}, {"x", 3, 5}}},
		},
	},
	{
		name: "onbuild trigger with flags",
		src:  "FROM alpine\nONBUILD COPY --from=build --chown=1:1 /a /b\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindOnbuild, line: 2, col: 1, endLine: 2, endCol: 44},
		},
	},
	{
		name: "exec form",
		src:  "FROM alpine\nRUN [\"apk\", \"add\", \"x\"]\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 2, endCol: 24},
		},
	},
	{
		name: "CRLF line endings",
		src:  "FROM alpine\r\nRUN apk add \\\r\n  curl\r\nWORKDIR /app\r\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 3, endCol: 7, script: "apk add   curl",
				words: []wordAt{{"apk", 2, 5}, {"add", 2, 9}, {"curl", 3, 3}}},
			{kind: KindWorkdir, line: 4, col: 1, endLine: 4, endCol: 13},
		},
	},
	{
		name: "CRLF heredoc and whitespace-only continuation line",
		src:  "FROM alpine\r\nRUN echo a \\\r\n   \r\n  b\r\nRUN <<EOF\r\napk add x\r\nEOF\r\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 4, endCol: 4, script: "echo a   b",
				words: []wordAt{{"echo", 2, 5}, {"a", 2, 10}, {"b", 4, 3}}},
			{kind: KindRun, line: 5, col: 1, endLine: 7, endCol: 4, script: "apk add x\r\n",
				words: []wordAt{{"apk", 6, 1}, {"add", 6, 5}}},
		},
	},
	{
		name: "two heredocs and a comment inside a continuation",
		src:  "FROM alpine\nRUN cat <<A >/a && \\\n# note\n    cat <<-B >/b\nalpha\nA\n\tbeta\n\tB\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindRun, line: 2, col: 1, endLine: 8, endCol: 3, script: "cat <<A >/a &&     cat <<-B >/b\nalpha\nA\n\tbeta\nB",
				words: []wordAt{{"cat", 2, 5}, {"/a", 2, 14}, {"cat", 4, 5}, {"/b", 4, 15}}},
		},
	},
	{
		name: "byte order mark and flags",
		src:  "\xEF\xBB\xBFFROM alpine\nRUN --mount=type=cache,target=/var/cache/apk --network=none apk add x\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 4, endLine: 1, endCol: 15},
			{kind: KindRun, line: 2, col: 1, endLine: 2, endCol: 70, script: "apk add x",
				flags: []string{"--mount=type=cache,target=/var/cache/apk", "--network=none"},
				words: []wordAt{{"apk", 2, 61}, {"x", 2, 69}}},
		},
	},
	{
		name: "quoted flag value and continuation inside flags",
		src:  "FROM alpine\nCOPY --chown=\"app:app\" \\\n  --chmod=755 a.sh /bin/\n",
		insts: []instAt{
			{kind: KindFrom, line: 1, col: 1, endLine: 1, endCol: 12},
			{kind: KindCopy, line: 2, col: 1, endLine: 3, endCol: 25, flags: []string{`--chown="app:app"`, "--chmod=755"}},
		},
	},
}

// scriptWords lists the literal words of a script with their Src positions.
func scriptWords(sc *Script) []wordAt {
	var out []wordAt
	syntax.Walk(sc.File, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok {
			if lit := w.Lit(); lit != "" {
				r := sc.Range(w)
				out = append(out, wordAt{lit, r.Start.Line, r.Start.Col})
			}
			return false
		}
		return true
	})
	return out
}

func TestPositions(t *testing.T) {
	for i, tc := range positionCases {
		t.Run(fmt.Sprintf("%02d-%s", i, tc.name), func(t *testing.T) {
			f, err := Parse("Dockerfile", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, f)
			if len(f.Instructions) != len(tc.insts) {
				t.Fatalf("got %d instructions, want %d", len(f.Instructions), len(tc.insts))
			}
			for j, want := range tc.insts {
				in := f.Instructions[j]
				got := instAt{kind: in.Kind, line: in.Range.Start.Line, col: in.Range.Start.Col, endLine: in.Range.End.Line, endCol: in.Range.End.Col}
				if got.kind != want.kind || got.line != want.line || got.col != want.col || got.endLine != want.endLine || got.endCol != want.endCol {
					t.Errorf("instruction %d: got %s %d:%d-%d:%d, want %s %d:%d-%d:%d", j, got.kind, got.line, got.col, got.endLine, got.endCol,
						want.kind, want.line, want.col, want.endLine, want.endCol)
				}
				var flags []string
				for _, fl := range in.Flags {
					flags = append(flags, string(f.Src[fl.Range.Start.Offset:fl.Range.End.Offset]))
				}
				if strings.Join(flags, "|") != strings.Join(want.flags, "|") {
					t.Errorf("instruction %d: flags %q, want %q", j, flags, want.flags)
				}
				if want.script != "" {
					if in.Run == nil || in.Run.Script == nil {
						t.Fatalf("instruction %d: no script", j)
					}
					if in.Run.Script.Text != want.script {
						t.Errorf("instruction %d: script %q, want %q", j, in.Run.Script.Text, want.script)
					}
				}
				if want.words != nil {
					assertWords(t, in.Run.Script, want.words)
				}
				if want.onbuildScriptWords != nil {
					if in.Onbuild == nil || in.Onbuild.Run == nil {
						t.Fatalf("ONBUILD without RUN trigger")
					}
					assertWords(t, in.Onbuild.Run.Script, want.onbuildScriptWords)
				}
			}
		})
	}
}

func assertWords(t *testing.T, sc *Script, want []wordAt) {
	t.Helper()
	if sc == nil || sc.File == nil {
		t.Fatalf("script not parsed: %v", sc)
	}
	got := scriptWords(sc)
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
			}
		}
		if !found {
			t.Errorf("word %q not at %d:%d; words: %v", w.text, w.line, w.col, got)
		}
	}
	// End positions of single-line words: col + len.
	syntax.Walk(sc.File, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok {
			r := sc.Range(w)
			// mvdan/sh keeps a CR before LF out of a literal's value but
			// inside its span.
			src := strings.TrimSuffix(sc.SrcText(w), "\r")
			if lit := w.Lit(); lit != "" && r.Start.Line == r.End.Line && len(src) != len(lit) {
				t.Errorf("word %q spans %d bytes", lit, r.End.Col-r.Start.Col)
			}
			if lit := w.Lit(); lit != "" && src != lit && r.Start.Line == r.End.Line {
				t.Errorf("SrcText %q != %q", sc.SrcText(w), lit)
			}
			return false
		}
		return true
	})
}

func TestExecForm(t *testing.T) {
	f, err := Parse("Dockerfile", []byte("FROM alpine\nRUN [\"apk\", \"add\", \"x\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Instructions[1].Run
	if r.Script != nil || strings.Join(r.Exec, " ") != "apk add x" || !f.Instructions[1].JSON {
		t.Fatalf("exec form: %+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src      string
		line     int
		contains string
	}{
		{"", 0, "file with no instructions"},
		{"# only a comment\n", 1, "file with no instructions"},
		{"FROM alpine\nRUN <<EOF\necho hi\n", 2, "unterminated heredoc"},
		{"# escape=x\nFROM alpine\n", 1, "invalid escape token"},
	}
	for _, tc := range cases {
		_, err := Parse("Dockerfile", []byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: error %v is not a *ParseError", tc.src, err)
			continue
		}
		if !strings.Contains(pe.Msg, tc.contains) || (tc.line > 0 && pe.Line != tc.line) {
			t.Errorf("%q: got %v, want line %d %q", tc.src, pe, tc.line, tc.contains)
		}
		if !strings.HasPrefix(pe.Error(), fmt.Sprintf("Dockerfile:%d:%d: ", pe.Line, pe.Col)) {
			t.Errorf("format: %q", pe.Error())
		}
	}
}

func TestShellErrorRecorded(t *testing.T) {
	src := "FROM alpine\nRUN echo 'unterminated\nRUN apk add x\n"
	f, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sc := f.Instructions[1].Run.Script
	var pe *ParseError
	if sc.File != nil || !errors.As(sc.Err, &pe) || pe.Line != 2 {
		t.Fatalf("want a shell ParseError on line 2, got %v", sc.Err)
	}
	if f.Instructions[2].Run.Script.File == nil {
		t.Fatal("the next RUN was not parsed")
	}
}

func TestOnbuildFlagsAndCopyHeredoc(t *testing.T) {
	src := "FROM alpine\nONBUILD COPY --from=build --chown=1:1 /a /b\nCOPY <<EOF /etc/motd\nhello\nworld\nEOF\n"
	f, err := Parse("Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, f)
	tr := f.Instructions[1].Onbuild
	if tr == nil || tr.Kind != KindCopy || tr.Copy.From != "build" || tr.Copy.Chown != "1:1" {
		t.Fatalf("trigger: %+v", tr)
	}
	if tr.Range.Start.Col != 9 {
		t.Errorf("trigger starts at col %d", tr.Range.Start.Col)
	}
	var words []string
	for _, fl := range tr.Flags {
		words = append(words, string(f.Src[fl.Range.Start.Offset:fl.Range.End.Offset]))
	}
	if strings.Join(words, " ") != "--from=build --chown=1:1" {
		t.Errorf("trigger flags %q", words)
	}
	cp := f.Instructions[2]
	if len(cp.Heredocs) != 1 || cp.Range.End.Line != 6 {
		t.Fatalf("copy heredoc: %+v", cp)
	}
	h := cp.Heredocs[0]
	if body := string(f.Src[h.Body.Start.Offset:h.Body.End.Offset]); body != "hello\nworld\n" || h.Content != body {
		t.Errorf("body %q content %q", body, h.Content)
	}
	if term := string(f.Src[h.Terminator.Start.Offset:h.Terminator.End.Offset]); term != "EOF" || h.Terminator.Start.Line != 6 {
		t.Errorf("terminator %q at line %d", term, h.Terminator.Start.Line)
	}
	if cp.Copy.DestPath != "/etc/motd" || len(cp.Copy.Sources) != 1 || cp.Copy.Sources[0] != "<<EOF" {
		t.Errorf("copy: %+v", cp.Copy)
	}
}
