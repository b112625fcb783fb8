package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// Repairs of a COPY and the RUN after it: chown -R / chmod -R moved into
// COPY --chown / --chmod (WH102), a local archive COPYed and extracted
// made an ADD (WH105).

// copyStepKinds are what may sit between a COPY and the RUN that rewrites
// or extracts what it copied.
var copyStepKinds = map[dockerfile.Kind]bool{
	dockerfile.KindEnv: true, dockerfile.KindWorkdir: true, dockerfile.KindLabel: true,
	dockerfile.KindExpose: true, dockerfile.KindCmd: true, dockerfile.KindEntrypoint: true,
	dockerfile.KindHealthcheck: true, dockerfile.KindStopSignal: true, dockerfile.KindMaintainer: true,
	dockerfile.KindArg: true, dockerfile.KindUser: true,
}

// nextRun returns the RUN after in, in its stage, when only copyStepKinds
// lie between.
func (p *Pass) nextRun(in *dockerfile.Instruction) *runInfo {
	if in.Stage == nil {
		return nil
	}
	for _, x := range in.Stage.Instructions {
		if x.Index <= in.Index {
			continue
		}
		if x.Kind == dockerfile.KindRun {
			return p.run(x)
		}
		if !copyStepKinds[x.Kind] {
			return nil
		}
	}
	return nil
}

var (
	ownerWord = regexp.MustCompile(`^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$`)
	octalMode = regexp.MustCompile(`^0?[0-7]{3}$`)
)

// chownRepair moves `chown -R OWNER DEST` (or `chmod -R MODE DEST`) of the
// RUN right after a COPY into the COPY as --chown (--chmod, which needs
// BuildKit: only with a # syntax= line). When DEST may exist before the
// COPY, the RUN keeps a non-recursive chown of it: COPY --chown leaves an
// existing directory as it is.
func (p *Pass) chownRepair(cp *dockerfile.Instruction, ri *runInfo, c *shellfacts.Command) *Repair {
	if cp.Kind != dockerfile.KindCopy || cp.Copy == nil || cp.JSON || len(cp.Heredocs) > 0 || cp.Copy.DestPath == "" || cp.Err != nil {
		return nil
	}
	if next := p.nextRun(cp); next != ri {
		return nil
	}
	se := ri.shell()
	if se == nil {
		return nil
	}
	cl, ok := se.callOf(c)
	if !ok || cl.nested {
		return nil
	}
	// COPY --chown needs the user when the COPY runs: not one this RUN
	// creates.
	for _, x := range ri.cmds {
		switch x.Name {
		case "useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod":
			return nil
		}
	}
	dest := strings.TrimSuffix(cp.Copy.DestPath, "/")
	if dest == "" || dest == "/" {
		return nil
	}
	_, buildkit := p.File.Directive("syntax")
	var flag, keep string
	switch {
	case cl.name == "chown" && cp.Copy.Chown == "":
		owner, target, ok := recursiveArgs(cl, ownerWord)
		if !ok || cleanAt(target, ri.in.Scope.Workdir) != dest {
			return nil
		}
		flag, keep = "--chown="+owner, "chown "+owner+" "+target
	case cl.name == "chmod" && cp.Copy.Chmod == "" && buildkit:
		mode, target, ok := recursiveArgs(cl, octalMode)
		if !ok || cleanAt(target, ri.in.Scope.Workdir) != dest {
			return nil
		}
		flag, keep = "--chmod="+mode, "chmod "+mode+" "+target
	default:
		return nil
	}
	if !p.mayPreexist(cp, dest) {
		keep = ""
	}
	edits, ok := se.replaceLink(cl, keep)
	if !ok {
		return nil
	}
	at := cp.Range.Start.Offset + len(cp.Keyword)
	edits = append(edits, edit.Insert(at, " "+flag))
	return newRepair(p.File, Safe, "move "+cl.name+" -R into COPY "+flag, "", edits...)
}

// cleanAt cleans an absolute path, or joins a relative one to dir.
func cleanAt(p, dir string) string {
	if p == "" {
		return ""
	}
	if !path.IsAbs(p) {
		p = path.Join(dir, p)
	}
	return path.Clean(p)
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
func (p *Pass) mayPreexist(cp *dockerfile.Instruction, dest string) bool {
	if cp.Scope != nil && cp.Scope.Workdir == dest {
		return true
	}
	for _, in := range cp.Stage.Instructions {
		if in.Index >= cp.Index {
			break
		}
		if in.Kind != dockerfile.KindFrom && mentions(in.Original, dest) {
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

// tarFlags are the tar options an ADD extraction matches: extract, the
// three compressions ADD detects, the archive, verbose, permissions
// (tar's default for root, as ADD). Not o: ADD keeps the archive's owners.
var tarFlags = regexp.MustCompile(`^-?[xzjJfvp]+$`)

// localArchiveRepair replaces `COPY app.tar.gz /tmp/` and the extraction
// of the RUN right after it with `ADD app.tar.gz DIR/`: the RUN loses the
// tar and the rm of the archive (and goes, when nothing else is left but
// mkdir), and keeps whatever else it does, which runs after the extraction
// as before. Before the extraction the RUN may only make directories.
func (p *Pass) localArchiveRepair(cp *dockerfile.Instruction) *Repair {
	if cp.Kind != dockerfile.KindCopy || cp.Copy == nil || cp.JSON || len(cp.Heredocs) > 0 || cp.Err != nil ||
		len(cp.Flags) > 0 || len(cp.Copy.Sources) != 1 {
		return nil
	}
	src := cp.Copy.Sources[0]
	if strings.Contains(src, "://") || strings.ContainsAny(src, "*?[$") || !tarExt.MatchString(src) {
		return nil
	}
	archive := strings.TrimSuffix(cp.Copy.DestPath, "/")
	if strings.HasSuffix(cp.Copy.Dest, "/") {
		archive = path.Join(archive, path.Base(src))
	}
	ri := p.nextRun(cp)
	if ri == nil || ri.shell() == nil || ri.shell().heredoc || ri.facts == nil {
		return nil
	}
	// tar as another user writes files that user owns; ADD keeps the
	// archive's owners.
	if nonRoot(ri.in) {
		return nil
	}
	se := ri.shell()
	var tarCall, rmCall *call
	dir := ""
	var kept []string    // what the RUN still runs after the extraction
	var mkdirs []command // what it runs before
	for k, c := range ri.cmds {
		cl, ok := se.callOf(c.Command)
		if !ok || cl.nested || c.Subshell {
			return nil
		}
		switch {
		case (c.Name == "mkdir" || c.Name == "cd" || c.Name == "set") && tarCall == nil:
			mkdirs = append(mkdirs, c)
		case c.Extract != nil && c.Extract.Tool == "tar" && !c.Extract.Create && c.Extract.Archive == archive && tarCall == nil:
			if !plainTarArgs(cl) {
				return nil
			}
			dir, tarCall = c.Extract.Dest, &se.calls[se.byCE[cl.ce]]
		case tarCall == nil:
			return nil // something runs before the extraction
		case c.File != nil && c.File.Op == "rm" && len(c.File.Paths) == 1 && c.File.Paths[0] == archive && rmCall == nil:
			rmCall = &se.calls[se.byCE[cl.ce]]
		default:
			if strings.Contains(strings.Join(ri.cmds[k].Args, " "), path.Base(archive)) {
				return nil // the archive is read again
			}
			kept = append(kept, c.Name)
		}
	}
	if tarCall == nil || dir == "" || !safeWord.MatchString(dir) {
		return nil
	}
	destStart := strings.LastIndex(cp.Original, cp.Copy.Dest)
	if destStart < 0 || strings.TrimSpace(cp.Original[destStart+len(cp.Copy.Dest):]) != "" {
		return nil
	}
	off := cp.Range.Start.Offset
	newDest := strings.TrimSuffix(dir, "/") + "/"
	if dir == "/" {
		newDest = "/"
	}
	edits := []edit.Edit{
		edit.Replace(off, off+len(cp.Keyword), "ADD"),
		edit.Replace(off+destStart, off+destStart+len(cp.Copy.Dest), newDest),
	}
	if len(kept) == 0 && onlyMakesDir(mkdirs, dir) {
		// Nothing is left but a plain mkdir -p of the destination (or of
		// directories above it): ADD makes them.
		s, e := edit.WholeLines(p.File.Src, ri.in.Range.Start.Offset, ri.in.Range.End.Offset)
		edits = append(edits, edit.Delete(s, e))
	} else {
		gone := []call{*tarCall}
		if rmCall != nil {
			gone = append(gone, *rmCall)
		}
		es, ok := se.dropLinks(gone...)
		if !ok {
			// Statements of a ";" script go one by one.
			for _, cl := range gone {
				e, ok := se.dropChainLink(cl)
				if !ok {
					return nil
				}
				es = append(es, e)
			}
		}
		edits = append(edits, es...)
	}
	return newRepair(p.File, Safe, "replace the COPY of a local archive and its extraction with ADD into "+newDest, "", edits...)
}

// plainTarArgs reports whether a tar call only extracts a whole archive
// into a directory: flag clusters from tarFlags (f last, its value the
// archive), -C/--directory and its value; no member names, no other
// option.
func plainTarArgs(cl call) bool {
	archive := false
	for i := 0; i < len(cl.args); i++ {
		a := cl.args[i]
		if !cl.lit[i] {
			return false
		}
		switch {
		case a == "-C" || a == "--directory":
			i++
		case strings.HasPrefix(a, "--directory="):
		case (strings.HasPrefix(a, "-") || i == 0) && tarFlags.MatchString(a):
			if f := strings.IndexByte(a, 'f'); f >= 0 {
				if f != len(a)-1 || archive {
					return false
				}
				archive = true
				i++ // the archive
			}
		default:
			return false // a member name, or an option ADD has no match for
		}
	}
	return archive
}

// onlyMakesDir reports whether the commands are `mkdir -p` of dir or of
// directories above it (and cd), which ADD's extraction makes anyway:
// nothing with a mode (-m) or another directory.
func onlyMakesDir(cmds []command, dir string) bool {
	for _, c := range cmds {
		switch {
		case c.Name == "cd" || c.Name == "set":
		case c.Name == "mkdir" && c.File != nil:
			if c.hasFlag("m", "mode") || !c.hasFlag("p", "parents") {
				return false
			}
			for _, q := range c.File.Paths {
				if !shellfacts.Under(dir, q) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}
