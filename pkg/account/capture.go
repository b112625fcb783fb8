package account

import (
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/fstree"
)

// captureSpec is what WithCapture asked for.
type captureSpec struct {
	patterns []string
	// prefixes[i] is the literal start of patterns[i], before any
	// pattern character: a cheap first test.
	prefixes        []string
	maxFile, maxAll int64
}

func newCaptureSpec(o *options) *captureSpec {
	if len(o.capture) == 0 {
		return nil
	}
	c := &captureSpec{patterns: o.capture, maxFile: o.captureFile, maxAll: o.captureTotal}
	for _, p := range o.capture {
		if i := strings.IndexAny(p, "*?[\\"); i >= 0 {
			p = p[:i]
		}
		c.prefixes = append(c.prefixes, p)
	}
	return c
}

func (c *captureSpec) match(p string) bool {
	for i, pre := range c.prefixes {
		if strings.HasPrefix(p, pre) && PathUnder(p, c.patterns[i]) {
			return true
		}
	}
	return false
}

// layerCapture is one captured regular-file entry of a layer.
type layerCapture struct {
	// reg is the entry's rank among the layer's regular-file records: the
	// tree makes one inode per regular-file record, in order, so the
	// entry's inode is the tree's inode count before the layer plus reg.
	reg     int
	data    []byte
	skipped string
}

// captured holds the captured entries still visible after the layers
// merged so far, by inode.
type captured struct {
	spec  *captureSpec
	byIno map[int]layerCapture
	bytes int64
}

// add records the captures of a layer just merged, whose first inode is
// base, drops those no longer visible, and then marks too large the
// newest ones (last in tar order first) while the content kept is over
// the total limit.
func (c *captured) add(tree *fstree.Tree, base int, caps []layerCapture) {
	for _, lc := range caps {
		c.byIno[base+lc.reg] = lc
		c.bytes += int64(len(lc.data))
	}
	for ino, lc := range c.byIno {
		if tree.Inode(ino).Links == 0 {
			c.bytes -= int64(len(lc.data))
			delete(c.byIno, ino)
		}
	}
	for i := len(caps) - 1; i >= 0 && c.bytes > c.spec.maxAll; i-- {
		ino := base + caps[i].reg
		lc, ok := c.byIno[ino]
		if !ok || lc.data == nil {
			continue
		}
		c.bytes -= int64(len(lc.data))
		lc.data, lc.skipped = nil, SkippedTooLarge
		c.byIno[ino] = lc
	}
}

// result lists the visible names at captured paths with their content,
// in path order.
func (c *captured) result(files []fstree.File, tree *fstree.Tree) []CapturedFile {
	out := []CapturedFile{}
	for _, f := range files {
		if !c.spec.match(f.Path) {
			continue
		}
		in := tree.Inode(f.Inode)
		cf := CapturedFile{Path: f.Path, Layer: int(in.Layer), Size: in.Size}
		if lc, ok := c.byIno[f.Inode]; ok {
			cf.Data, cf.Skipped = lc.data, lc.skipped
		} else {
			cf.Skipped = SkippedNotCaptured
		}
		out = append(out, cf)
	}
	slices.SortFunc(out, func(a, b CapturedFile) int { return strings.Compare(a.Path, b.Path) })
	return out
}
