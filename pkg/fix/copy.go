package fix

import (
	"path"
	"regexp"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// COPY then RUN chown -R / chmod -R (WH102), and a local archive copied
// then extracted (WH105).

// copyStepKinds are what may sit between a COPY and the RUN that rewrites
// what it copied.
var copyStepKinds = map[dockerfile.Kind]bool{
	dockerfile.KindEnv: true, dockerfile.KindWorkdir: true, dockerfile.KindLabel: true,
	dockerfile.KindExpose: true, dockerfile.KindCmd: true, dockerfile.KindEntrypoint: true,
	dockerfile.KindHealthcheck: true, dockerfile.KindStopSignal: true, dockerfile.KindMaintainer: true,
	dockerfile.KindArg: true, dockerfile.KindUser: true,
}

// nextRun returns the RUN after ins[i] when only copyStepKinds lie between.
func (p *pass) nextRun(ins []*dockerfile.Instruction, i int) *runCtx {
	for _, in := range ins[i+1:] {
		if in.Kind == dockerfile.KindRun {
			return p.run(in)
		}
		if !copyStepKinds[in.Kind] {
			return nil
		}
	}
	return nil
}

var (
	ownerWord = regexp.MustCompile(`^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$`)
	octalMode = regexp.MustCompile(`^0?[0-7]{3}$`)
)

func copyChown(p *pass) []repair {
	var out []repair
	_, buildkit := p.f.Directive("syntax")
	for _, st := range p.f.Stages {
		for i, c := range st.Instructions {
			if c.Kind != dockerfile.KindCopy || c.Copy == nil || c.JSON || len(c.Heredocs) > 0 || c.Copy.DestPath == "" || c.Err != nil {
				continue
			}
			rc := p.nextRun(st.Instructions, i)
			if rc == nil || !p.gateSpan("WH102", []*dockerfile.Instruction{c, rc.in}) {
				continue
			}
			dest := strings.TrimSuffix(c.Copy.DestPath, "/")
			if dest == "" || dest == "/" {
				continue
			}
			for _, cl := range rc.calls {
				if cl.nested || (cl.name != "chown" && cl.name != "chmod") {
					continue
				}
				flag, keep := "", ""
				switch {
				case cl.name == "chown" && c.Copy.Chown == "":
					owner, target, ok := recursiveArgs(cl, ownerWord)
					if !ok || normPath(target, rc.in.Scope.Workdir) != dest {
						continue
					}
					flag, keep = "--chown="+owner, "chown "+owner+" "+target
				case cl.name == "chmod" && c.Copy.Chmod == "" && buildkit:
					mode, target, ok := recursiveArgs(cl, octalMode)
					if !ok || normPath(target, rc.in.Scope.Workdir) != dest {
						continue
					}
					flag, keep = "--chmod="+mode, "chmod "+mode+" "+target
				default:
					continue
				}
				// The destination directory may exist before the COPY
				// (WORKDIR, mkdir): COPY --chown/--chmod leaves an existing
				// directory as it is, so it keeps a non-recursive command.
				if !p.mayPreexist(st, c, dest) {
					keep = ""
				}
				edits, ok := rc.replaceLink(cl, keep)
				if !ok {
					continue
				}
				at := c.Range.Start.Offset + len(c.Keyword)
				edits = append(edits, edit.Insert(at, " "+flag))
				out = append(out, repair{
					rule:      "WH102",
					at:        c.Range.Start.Offset,
					msg:       "moved " + cl.name + " -R into COPY " + flag,
					edits:     edits,
					insts:     []int{c.Index, rc.in.Index},
					exclusive: true,
				})
				break
			}
		}
	}
	return out
}

// recursiveArgs reads "cmd -R ARG PATH" (-R or --recursive, nothing else)
// with ARG matching re.
func recursiveArgs(c call, re *regexp.Regexp) (arg, target string, ok bool) {
	var ops []string
	rec := false
	for i, a := range c.args {
		if !c.lit[i] {
			return "", "", false
		}
		switch {
		case a == "-R" || a == "--recursive":
			rec = true
		case strings.HasPrefix(a, "-"):
			return "", "", false
		default:
			ops = append(ops, a)
		}
	}
	if !rec || len(ops) != 2 || !re.MatchString(ops[0]) || strings.ContainsAny(ops[1], "*?[$") {
		return "", "", false
	}
	return ops[0], ops[1], true
}

// mayPreexist reports whether dest may exist before the COPY: the WORKDIR
// in effect, or named by an earlier instruction of the stage.
func (p *pass) mayPreexist(st *dockerfile.Stage, c *dockerfile.Instruction, dest string) bool {
	if c.Scope != nil && c.Scope.Workdir == dest {
		return true
	}
	for _, in := range st.Instructions {
		if in.Index >= c.Index {
			break
		}
		if in.Kind == dockerfile.KindFrom {
			continue
		}
		if mentions(in.Original, dest) {
			return true
		}
	}
	return false
}

func mentions(text, p string) bool {
	for i := strings.Index(text, p); i >= 0; {
		end := i + len(p)
		if end == len(text) || strings.ContainsRune(" \t\r\n/\\\"';&|)", rune(text[end])) {
			return true
		}
		j := strings.Index(text[end:], p)
		if j < 0 {
			break
		}
		i = end + j
	}
	return false
}

// replaceLink returns edits replacing call c, a link of a top-level &&
// chain (or the whole script), with text; with "" the link and its && go,
// and the whole RUN when it was its only command.
func (rc *runCtx) replaceLink(c call, text string) ([]edit.Edit, bool) {
	stmts := rc.sc.File.Stmts
	for si, s := range stmts {
		links := chainLinks(s)
		for k, l := range links {
			if l.Cmd != syntax.Command(c.ce) || len(l.Redirs) > 0 {
				continue
			}
			start, end := rc.sc.Offset(l.Pos()), rc.sc.EndOffset(stmtEnd(l))
			switch {
			case text != "":
				if strings.Contains(string(rc.f.Src[start:end]), "#") {
					return nil, false
				}
				return []edit.Edit{edit.Replace(start, end, text)}, true
			case len(stmts) == 1 && len(links) == 1:
				s, e := edit.WholeLines(rc.f.Src, rc.in.Range.Start.Offset, rc.in.Range.End.Offset)
				return []edit.Edit{edit.Delete(s, e)}, true
			case k+1 < len(links):
				end = rc.sc.Offset(links[k+1].Pos())
			case k > 0:
				start = rc.sc.EndOffset(stmtEnd(links[k-1]))
			default:
				_ = si
				return nil, false
			}
			if strings.Contains(string(rc.f.Src[start:end]), "#") {
				return nil, false
			}
			return []edit.Edit{edit.Delete(start, end)}, true
		}
	}
	return nil, false
}

var tarExt = regexp.MustCompile(`\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tbz|tar\.xz|txz)$`)

// tarFlags are the tar options an ADD extraction matches.
var tarFlags = regexp.MustCompile(`^-?[xzjJfvpo]+$`)

func localArchiveAdd(p *pass) []repair {
	var out []repair
	for _, st := range p.f.Stages {
		for i, c := range st.Instructions {
			if c.Kind != dockerfile.KindCopy || c.Copy == nil || c.JSON || len(c.Heredocs) > 0 || c.Err != nil ||
				len(c.Flags) > 0 || len(c.Copy.Sources) != 1 {
				continue
			}
			src := c.Copy.Sources[0]
			if strings.Contains(src, "://") || strings.ContainsAny(src, "*?[$") || !tarExt.MatchString(src) {
				continue
			}
			archive := strings.TrimSuffix(c.Copy.DestPath, "/")
			if strings.HasSuffix(c.Copy.Dest, "/") {
				archive = path.Join(archive, path.Base(src))
			}
			rc := p.nextRun(st.Instructions, i)
			if rc == nil || !p.gateSpan("WH105", []*dockerfile.Instruction{c, rc.in}) {
				continue
			}
			dir, ok := extractsAndRemoves(rc, archive)
			if !ok || !safeWord.MatchString(dir) {
				continue
			}
			destStart := strings.LastIndex(c.Original, c.Copy.Dest)
			if destStart < 0 || strings.TrimSpace(c.Original[destStart+len(c.Copy.Dest):]) != "" {
				continue
			}
			off := c.Range.Start.Offset
			newDest := strings.TrimSuffix(dir, "/") + "/"
			if dir == "/" {
				newDest = "/"
			}
			s, e := edit.WholeLines(p.f.Src, rc.in.Range.Start.Offset, rc.in.Range.End.Offset)
			out = append(out, repair{
				rule: "WH105",
				at:   off,
				msg:  "replaced COPY of a local archive and its extraction with ADD into " + newDest,
				edits: []edit.Edit{
					edit.Replace(off, off+len(c.Keyword), "ADD"),
					edit.Replace(off+destStart, off+destStart+len(c.Copy.Dest), newDest),
					edit.Delete(s, e),
				},
				insts:     []int{c.Index, rc.in.Index},
				exclusive: true,
			})
		}
	}
	return out
}

// extractsAndRemoves reports whether a RUN only (makes a directory,)
// extracts archive with plain tar flags and removes it; it returns the
// directory extracted into.
func extractsAndRemoves(rc *runCtx, archive string) (string, bool) {
	fs := rc.facts()
	if fs == nil || len(fs.Commands) == 0 || len(fs.Commands) != len(rc.calls) || len(rc.sc.File.Stmts) != 1 || !andChain(rc.sc.File.Stmts[0]) {
		return "", false
	}
	dir, extracted, removed := "", false, false
	for k, c := range fs.Commands {
		cl := rc.calls[k]
		switch {
		case c.Name == "mkdir" && !extracted:
		case c.Extract != nil && c.Extract.Tool == "tar" && !c.Extract.Create && c.Extract.Archive == archive && !extracted:
			for i, a := range cl.args {
				if !cl.lit[i] {
					return "", false
				}
				if a == "-C" || a == "--directory" || (i > 0 && (cl.args[i-1] == "-C" || cl.args[i-1] == "--directory")) {
					continue
				}
				if strings.HasPrefix(a, "-") || i == 0 {
					if !tarFlags.MatchString(a) {
						return "", false
					}
				}
			}
			dir, extracted = c.Extract.Dest, true
		case c.File != nil && c.File.Op == "rm" && extracted && len(c.File.Paths) == 1 && c.File.Paths[0] == archive:
			removed = true
		default:
			return "", false
		}
	}
	return dir, extracted && removed && dir != ""
}

// baseImage applies WithBaseImage to the target stage's FROM.
func baseImage(p *pass) []repair {
	if p.o.baseImage == "" || p.f.Target == nil {
		return nil
	}
	st := p.f.Target
	for st.BaseStage != nil {
		st = st.BaseStage
	}
	in := st.From
	if in == nil || in.From == nil || in.From.Image == p.o.baseImage || in.JSON {
		return nil
	}
	i := strings.Index(in.Original[len(in.Keyword):], in.From.Image)
	if i < 0 {
		return nil
	}
	at := in.Range.Start.Offset + len(in.Keyword) + i
	return []repair{{
		rule:      "WH701",
		at:        at,
		msg:       "switched the base image to " + p.o.baseImage + " (--base-image)",
		edits:     []edit.Edit{edit.Replace(at, at+len(in.From.Image), p.o.baseImage)},
		insts:     []int{in.Index},
		exclusive: true,
	}}
}

// archiveLike matches names ADD may extract (and zip, which it does not,
// but which a user may have meant to).
var archiveLike = regexp.MustCompile(`(?i)\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz|lzma|z|zip|7z)$`)

// addToCopy is WH603: ADD of plain local files becomes COPY. ADD decides
// by content, not name, whether a local file is an archive; like lint,
// whittle takes a name without an archive extension for a plain file or a
// directory. A glob must end in an extension no archive has ("*.sh"): "*"
// could match an archive that ADD extracts.
func addToCopy(p *pass) []repair {
	var out []repair
	for in := range p.f.All() {
		if in.Kind != dockerfile.KindAdd || in.Copy == nil || len(in.Heredocs) > 0 || in.Err != nil || !p.g.known["WH603"] || !p.g.allows("WH603", in) {
			continue
		}
		ok := len(in.Copy.Sources) > 0
		for _, f := range in.Flags {
			if f.Name != "chown" && f.Name != "chmod" && f.Name != "link" {
				ok = false // --checksum, --keep-git-dir, --unpack: ADD only
			}
		}
		for _, s := range in.Copy.Sources {
			ok = ok && plainSource(s)
		}
		if !ok || !strings.EqualFold(in.Keyword, "ADD") {
			continue
		}
		at := in.Range.Start.Offset
		kw := "COPY"
		if in.Keyword == "add" {
			kw = "copy"
		}
		out = append(out, repair{
			rule:  "WH603",
			at:    at,
			msg:   "replaced ADD of plain files with COPY",
			edits: []edit.Edit{edit.Replace(at, at+len(in.Keyword), kw)},
			insts: []int{in.Index},
		})
	}
	return out
}

func plainSource(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasSuffix(s, ".git") ||
		strings.HasPrefix(s, "<<") || strings.Contains(s, "$") {
		return false
	}
	base := path.Base(strings.TrimSuffix(s, "/"))
	if tarExt.MatchString(base) || archiveLike.MatchString(base) && !strings.HasSuffix(strings.ToLower(base), ".zip") {
		return false
	}
	if strings.ContainsAny(s, "*?[") {
		dot := strings.LastIndex(base, ".")
		return dot > 0 && !strings.ContainsAny(base[dot:], "*?[") && !archiveLike.MatchString(base) &&
			!strings.ContainsAny(path.Dir(s), "*?[")
	}
	return true
}
