package dockerfile

import (
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"mvdan.cc/sh/v3/syntax"
)

// Pos is a position in File.Src.
type Pos struct {
	// Offset is the 0-based byte offset in File.Src.
	Offset int `json:"offset"`
	// Line and Col are 1-based; Col counts bytes.
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Range is the half-open byte range [Start, End) of File.Src.
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// Kind is an instruction's keyword in upper case ("RUN", "COPY", ...).
type Kind string

// The instruction kinds BuildKit knows. An unknown keyword keeps its upper
// case spelling as Kind.
const (
	KindAdd         Kind = "ADD"
	KindArg         Kind = "ARG"
	KindCmd         Kind = "CMD"
	KindCopy        Kind = "COPY"
	KindEntrypoint  Kind = "ENTRYPOINT"
	KindEnv         Kind = "ENV"
	KindExpose      Kind = "EXPOSE"
	KindFrom        Kind = "FROM"
	KindHealthcheck Kind = "HEALTHCHECK"
	KindLabel       Kind = "LABEL"
	KindMaintainer  Kind = "MAINTAINER"
	KindOnbuild     Kind = "ONBUILD"
	KindRun         Kind = "RUN"
	KindShell       Kind = "SHELL"
	KindStopSignal  Kind = "STOPSIGNAL"
	KindUser        Kind = "USER"
	KindVolume      Kind = "VOLUME"
	KindWorkdir     Kind = "WORKDIR"
)

// CreatesLayer reports whether an instruction of this kind adds a
// filesystem layer to the image (RUN, COPY, ADD).
func (k Kind) CreatesLayer() bool { return k == KindRun || k == KindCopy || k == KindAdd }

// File is a parsed Dockerfile.
type File struct {
	// Name is the file name as given to Parse (used in messages).
	Name string
	// Src is the file's bytes, unchanged.
	Src []byte
	// Escape is the escape character in effect ('\\' or '`').
	Escape byte
	// Directives are the parser directives at the top of the file
	// (syntax, escape, check), in order.
	Directives []Directive
	// MetaArgs are the ARG instructions before the first FROM.
	MetaArgs []*Instruction
	// Stages are the build stages in order.
	Stages []*Stage
	// Instructions are all top-level instructions in source order
	// (ONBUILD triggers hang off their ONBUILD instruction).
	Instructions []*Instruction
	// Target is the stage that makes the image: the one named by
	// WithTarget, else the last stage. Nil only if there is no stage.
	Target *Stage
	// Warnings are BuildKit's parser warnings (empty continuation lines).
	Warnings []Warning

	lines []int // offset of the first byte of each line
}

// Directive is a parser directive such as "# syntax=docker/dockerfile:1".
type Directive struct {
	// Name is lower case ("syntax", "escape", "check").
	Name  string
	Value string
	Range Range
}

// Warning is a parser warning BuildKit reports without failing.
type Warning struct {
	Msg  string
	Line int
}

// Stage is one build stage: a FROM and the instructions up to the next FROM.
type Stage struct {
	// Index is the stage's 0-based position; Name its lower-cased AS name
	// ("" if none).
	Index int
	Name  string
	// From is the stage's FROM instruction.
	From *Instruction
	// Base is the FROM image reference with ARGs expanded ("scratch" for
	// scratch), or the name of the parent stage when BaseStage is set.
	Base string
	// BaseStage is the earlier stage this one builds on (FROM <alias>), or nil.
	BaseStage *Stage
	// Instructions are the stage's instructions, From first.
	Instructions []*Instruction
	// CopiesFrom are the earlier stages that COPY --from (or
	// RUN --mount=from=) in this stage reads.
	CopiesFrom []*Stage
	// Reaches is true when the stage contributes to the target image: the
	// target itself, its base stages, and any stage whose files reach it
	// through COPY --from or a mount, transitively.
	Reaches bool

	end *Scope
}

// Label returns the stage's name, or its index when it has none.
func (s *Stage) Label() string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprint(s.Index)
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	// Kind is the upper-cased keyword; Keyword is the keyword as written.
	Kind    Kind
	Keyword string
	// Index is the position in File.Instructions (-1 for ONBUILD triggers).
	Index int
	// Range spans the first byte of the instruction's first line (its
	// keyword, unless that line holds only a continuation character) to
	// the end of its last line (continuation lines and heredoc bodies
	// included, the final line ending excluded). Its lines are the lines
	// BuildKit reports for the instruction.
	Range Range
	// Original is Src[Range.Start.Offset:Range.End.Offset].
	Original string
	// Flags are the --flags between keyword and arguments, in order.
	Flags []Flag
	// Args are BuildKit's argument words, not expanded. Exec-form
	// instructions (JSON) give the decoded array; shell-form ones give the
	// single command line string (RUN, CMD, ENTRYPOINT, SHELL-dependent) or
	// the words (others).
	Args []string
	// JSON is true for exec form (a JSON array).
	JSON bool
	// Heredocs are the here-documents attached to RUN, COPY and ADD.
	Heredocs []Heredoc
	// Stage is the stage holding the instruction; nil before the first
	// FROM (meta ARGs).
	Stage *Stage
	// Scope is what is in effect BEFORE this instruction: ARG and ENV
	// values, SHELL, WORKDIR and USER.
	Scope *Scope
	// Err is BuildKit's error for this instruction's arguments or flags,
	// if any (the file is still modelled).
	Err error

	// At most one of the following is set, according to Kind (Copy and
	// From are set even when BuildKit reported Err; Run is set for every
	// RUN).
	Run     *Run         // RUN
	Copy    *Copy        // COPY and ADD
	From    *From        // FROM
	Vars    []KeyValue   // ENV, ARG (Value empty and Set false for a bare ARG), LABEL
	Onbuild *Instruction // ONBUILD: the trigger instruction

	runCmd *instructions.RunCommand // BuildKit's RUN, for its mounts
}

// Flag is one --name[=value] flag of an instruction.
type Flag struct {
	// Name is without the leading dashes; Value is unquoted as BuildKit
	// does it. HasValue tells "--link" from "--link=".
	Name     string
	Value    string
	HasValue bool
	// Range covers the flag word in Src ("--mount=type=cache,target=/x").
	Range Range
}

// KeyValue is a name and value from ENV, ARG or LABEL.
type KeyValue struct {
	Name  string
	Value string
	// Set is false for "ARG name" without a default.
	Set bool
}

// Heredoc is a here-document attached to an instruction.
type Heredoc struct {
	// Name is the delimiter word; FD the file descriptor (0 if none given).
	Name string
	FD   int
	// Expand is false when the delimiter is quoted; Chomp is true for <<-.
	Expand bool
	Chomp  bool
	// Content is the body as BuildKit passes it (chomped when Chomp).
	Content string
	// Body is the range of the body lines in Src (up to the terminator
	// line, exclusive); Terminator the range of the terminator word.
	Body       Range
	Terminator Range
}

// Run is the model of a RUN instruction.
type Run struct {
	// Mounts are the parsed --mount flags.
	Mounts []Mount
	// Network and Security are the --network and --security values.
	Network  string
	Security string
	// Exec is the argv of an exec-form RUN; nil for shell form.
	Exec []string
	// Script is the shell script of a shell-form or heredoc RUN; nil for
	// exec form.
	Script *Script
}

// CacheTargets returns the targets of the RUN's cache mounts (type=cache),
// absolute and cleaned.
func (r *Run) CacheTargets() []string {
	var out []string
	for _, m := range r.Mounts {
		if m.Type == "cache" && m.Target != "" {
			out = append(out, m.Target)
		}
	}
	return out
}

// Mount is one RUN --mount.
type Mount struct {
	// Type is "bind" (the default), "cache", "tmpfs", "secret" or "ssh".
	Type string
	// Target is the mount point, absolute and cleaned (relative targets
	// are resolved against WORKDIR).
	Target string
	// From is the stage or image the mount reads (from=); FromStage the
	// stage it names, if any.
	From      string
	FromStage *Stage
	Source    string
	ID        string
	Sharing   string
	ReadOnly  bool
	// Raw is the flag's value as written.
	Raw string
}

// Copy is the model of a COPY or ADD instruction.
type Copy struct {
	// From is the --from value (ARGs expanded); FromStage the stage it
	// names (by name or index), nil for an image or the build context.
	From      string
	FromStage *Stage
	Chown     string
	Chmod     string
	Link      bool
	// Sources are the source words (URLs, context paths, heredoc names),
	// as written.
	Sources []string
	// Dest is the destination as written; DestPath is absolute and
	// cleaned against WORKDIR, ending in "/" if Dest did.
	Dest     string
	DestPath string
}

// From is the model of a FROM instruction.
type From struct {
	// Image is the image word as written; Expanded has ARGs replaced.
	Image    string
	Expanded string
	// Alias is the AS name as written; Platform the --platform value.
	Alias    string
	Platform string
}

// Script is the shell script that a RUN hands to its shell, parsed with
// mvdan.cc/sh. Its positions are relative to Text; Offset, Pos and Range
// map them back to File.Src.
type Script struct {
	// Text is the script exactly as the shell receives it (continuations
	// joined, comment lines removed, or the heredoc body).
	Text string
	// File is the parsed script; nil when Err is set.
	File *syntax.File
	// Err is mvdan/sh's parse error as a *ParseError located in Src.
	Err error
	// Heredoc is true when Text is a heredoc body (RUN <<EOF).
	Heredoc bool
	// Interpreter is set when the script is not run by a POSIX-like shell
	// and so was not parsed: the #! line of a heredoc script
	// ("/usr/bin/env python3"), or a non-POSIX SHELL ("powershell").
	Interpreter string

	file *File
	offs []int // offs[i] is the Src offset of Text[i]; len(Text)+1 entries
}

// Scope is what a Dockerfile instruction sees: variables, SHELL, WORKDIR,
// USER. Scopes are immutable once Parse returns.
type Scope struct {
	// Vars maps a name to its value for ARGs (declared in the stage) and
	// ENVs (own or inherited through FROM <stage>). ENV wins over ARG.
	Vars map[string]Var
	// Shell is the SHELL in effect (default ["/bin/sh", "-c"]).
	Shell []string
	// Workdir is absolute and cleaned ("/" by default).
	Workdir string
	// User is the USER in effect ("" = the base image's).
	User string
}

// Var is a variable visible to an instruction.
type Var struct {
	Name  string
	Value string
	// Set is false for an ARG declared without a value.
	Set bool
	// Kind is KindArg or KindEnv; Decl the declaring instruction.
	Kind Kind
	Decl *Instruction
}

// Lookup returns a variable's value and whether it is set.
func (s *Scope) Lookup(name string) (string, bool) {
	if s == nil {
		return "", false
	}
	v, ok := s.Vars[name]
	if !ok || !v.Set {
		return "", false
	}
	return v.Value, true
}

// ParseError is a syntax error located in a file.
type ParseError struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err, when set, is a sentinel that tells the error's kind
	// (ErrNestedTooDeep).
	Err error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func (e *ParseError) Unwrap() error { return e.Err }
