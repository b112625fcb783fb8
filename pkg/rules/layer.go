package rules

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// This file holds what the layer-technique rules (WH101, WH102, WH103)
// share: the facts of every RUN, the stage history a removal looks back
// over, and path matching.

// layerStep is one layer-creating instruction with its facts.
type layerStep struct {
	in    *dockerfile.Instruction
	facts *shellfacts.Facts // nil for COPY and ADD
}

// maxStageChain is how many stages of a chain (a stage and the stages it
// is built FROM, nearest first) the layer rules read: each stage's history
// is read once per stage, so a chain of n stages would cost time in n
// squared. Real Dockerfiles chain a handful of stages; a longer chain is
// reported by WH000 at its first stage beyond the limit.
const maxStageChain = 64

// stageDepth returns how many stages the chain of s holds (s and the
// stages it is built FROM), counting no further than limit.
func stageDepth(s *dockerfile.Stage, limit int) int {
	n := 0
	for st := s; st != nil && n < limit; st = st.BaseStage {
		n++
	}
	return n
}

// layerHistory returns, for stage s, the layer-creating instructions of s
// and of the stages it is built FROM (oldest first, at most maxStageChain
// stages in all), and the index where s's own instructions begin.
func layerHistory(p *Pass, s *dockerfile.Stage) ([]layerStep, int) {
	var chain []*dockerfile.Stage
	for st := s; st != nil && len(chain) < maxStageChain && !slices.Contains(chain, st); st = st.BaseStage {
		chain = append(chain, st)
	}
	slices.Reverse(chain)
	var steps []layerStep
	own := 0
	for _, st := range chain {
		if st == s {
			own = len(steps)
		}
		for _, in := range st.Instructions {
			if !in.Kind.CreatesLayer() {
				continue
			}
			step := layerStep{in: in}
			if in.Kind == dockerfile.KindRun {
				f := p.facts(in)
				if f == nil || f.Unparsed {
					continue
				}
				step.facts = f
			}
			steps = append(steps, step)
		}
	}
	return steps, own
}

// layerPathOverlaps reports whether removing (or rewriting) target touches
// made: target is made, one of its ancestors, lies below it, or is a glob
// matching made or an ancestor of it.
func layerPathOverlaps(made, target string) bool {
	compared(1)
	if made == "" || target == "" || !path.IsAbs(made) || !path.IsAbs(target) {
		return false
	}
	made, target = path.Clean(made), path.Clean(target)
	if shellfacts.Under(made, target) || shellfacts.Under(target, made) {
		return true
	}
	if strings.ContainsAny(target, "*?[") {
		for m := made; ; m = path.Dir(m) {
			if ok, _ := path.Match(target, m); ok {
				return true
			}
			if m == "/" {
				break
			}
		}
		// "/x/*" removes what is under /x.
		if dir := layerGlobDir(target); dir != "/" && shellfacts.Under(made, dir) {
			return true
		}
	}
	return false
}

// layerGlobDir returns the directory part of a path before its first glob.
func layerGlobDir(p string) string {
	i := strings.IndexAny(p, "*?[")
	if i < 0 {
		return p
	}
	return path.Dir(p[:i] + "x")
}

// layerSystemDirs are directories that many things write into: an
// extraction or copy into them does not make them "created" by that step.
var layerSystemDirs = map[string]bool{
	"/": true, "/usr": true, "/usr/local": true, "/usr/local/bin": true, "/usr/bin": true,
	"/usr/lib": true, "/usr/local/lib": true, "/usr/share": true, "/opt": true, "/tmp": true,
	"/etc": true, "/var": true, "/var/tmp": true, "/root": true, "/home": true, "/srv": true,
	"/bin": true, "/sbin": true, "/lib": true, "/usr/src": true, "/usr/local/src": true,
}

// layerPkgName strips version and architecture qualifiers from a package
// operand ("gcc=4:12", "py3-pip>1.0", "Django==4.2", "curl:amd64").
var layerPkgVersion = regexp.MustCompile(`[=<>~!@:;\[].*$`)

func layerPkgName(m shellfacts.Manager, s string) string {
	s = strings.Trim(s, `"'`)
	s = layerPkgVersion.ReplaceAllString(s, "")
	if m == shellfacts.Pip {
		s = strings.ReplaceAll(strings.ToLower(s), "_", "-")
	}
	return s
}

// layerFamily groups managers that share a package database.
func layerFamily(m shellfacts.Manager) string {
	switch m {
	case shellfacts.Dnf, shellfacts.Yum, shellfacts.Microdnf:
		return "rpm"
	}
	return string(m)
}

// layerLine is "line N" for messages.
func layerLine(in *dockerfile.Instruction) string {
	return fmt.Sprintf("line %d", in.Range.Start.Line)
}

// layerRange is the command's range, or the instruction's when the command
// has none (exec form).
func layerRange(c *shellfacts.Command, in *dockerfile.Instruction) dockerfile.Range {
	if c == nil || c.Range.End.Offset == 0 {
		return in.Range
	}
	return c.Range
}

// layerCopyTargets returns the paths a COPY or ADD writes: DEST/base(src)
// for file-like sources copied into a directory, DEST itself otherwise.
// dirs reports which of them are directory copies.
func layerCopyTargets(in *dockerfile.Instruction) (paths []string, dirs []bool) {
	c := in.Copy
	if c == nil || c.DestPath == "" || !path.IsAbs(c.DestPath) {
		return nil, nil
	}
	dest := c.DestPath
	intoDir := strings.HasSuffix(dest, "/") || len(c.Sources) > 1
	for _, src := range c.Sources {
		if strings.HasPrefix(src, "<<") {
			continue
		}
		base := layerSourceBase(src)
		isFile := base != "" && base != "." && strings.Contains(base, ".") && !strings.ContainsAny(base, "*?[")
		if in.Kind == dockerfile.KindAdd && !strings.Contains(src, "://") && layerIsTarball(base) {
			// ADD unpacks a local tarball into the destination directory.
			paths, dirs = append(paths, strings.TrimSuffix(path.Clean(dest), "/")), append(dirs, true)
			continue
		}
		switch {
		case intoDir && isFile:
			paths, dirs = append(paths, path.Join(dest, base)), append(dirs, false)
		case intoDir:
			paths, dirs = append(paths, path.Clean(dest)), append(dirs, true)
		default:
			paths, dirs = append(paths, path.Clean(dest)), append(dirs, !isFile)
		}
	}
	return paths, dirs
}

func layerSourceBase(src string) string {
	if i := strings.Index(src, "://"); i >= 0 {
		u := src[i+3:]
		if j := strings.IndexAny(u, "?#"); j >= 0 {
			u = u[:j]
		}
		if !strings.Contains(u, "/") {
			return ""
		}
		return path.Base(u)
	}
	return path.Base(strings.TrimSuffix(src, "/"))
}

// layerQuiet is the set of commands that do not create files of their
// own, used to tell whether a later RUN could have made the path it
// removes under a directory that a COPY wrote.
var layerQuiet = map[string]bool{
	"cd": true, "rm": true, "mv": true, "ls": true, "echo": true, "chmod": true, "chown": true, "chgrp": true,
	"set": true, "true": true, "test": true, "[": true, "printf": true, "find": true, "du": true, "cat": true,
}

// layerIsTarball reports whether ADD would unpack a local file of this
// name (tar, possibly gzip, bzip2 or xz compressed).
func layerIsTarball(name string) bool {
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
