package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/diff"
)

// DiffJSON writes the diff as it is, indented by two spaces, followed by
// a newline; g, when not nil, adds the "gate" block (the growth rules and
// their verdict). The fields are documented in docs/schema/diff-v1.md.
func DiffJSON(w io.Writer, r *diff.Report, g *gate.Outcome) error {
	return indentJSON(w, struct {
		*diff.Report
		Gate *gateJSON `json:"gate,omitempty"`
	}{r, newGateJSON(g)})
}

// diffSigned formats a byte change for people, with its sign ("+41 kB",
// "-3 MB", "0 B").
func diffSigned(n int64) string {
	if n > 0 {
		return "+" + size(n)
	}
	return size(n)
}

// diffSignedCount formats a count's change with its sign.
func diffSignedCount(n int64) string {
	if n > 0 {
		return "+" + humanize.Comma(n)
	}
	return humanize.Comma(n)
}

// diffPercent is a change relative to the old figure ("-18.40 %"), ""
// when the old figure is 0.
func diffPercent(delta, old int64) string {
	if old == 0 || delta == 0 {
		return ""
	}
	s := percent(float64(delta) / float64(old))
	if delta > 0 {
		s = "+" + s
	}
	return s
}

// diffFigureRow is one row of the figures table: a name, old, new and the
// change, as text.
type diffFigureRow struct {
	Name, Old, New, Change, Pct, Note string
}

// diffFigures are the rows of the figures table, the image size first.
func diffFigures(r *diff.Report) []diffFigureRow {
	o, n, c := r.Old.Figures, r.New.Figures, r.Change
	bytesRow := func(name string, old, new, change int64, note string) diffFigureRow {
		return diffFigureRow{name, size(old), size(new), diffSigned(change), diffPercent(change, old), note}
	}
	return []diffFigureRow{
		bytesRow("size", o.SizeBytes, n.SizeBytes, c.SizeBytes, "file content in all layers, uncompressed"),
		bytesRow("compressed", o.CompressedBytes, n.CompressedBytes, c.CompressedBytes, "layer blobs as stored or pushed"),
		bytesRow("visible", o.VisibleBytes, n.VisibleBytes, c.VisibleBytes, "file content in the final filesystem"),
		bytesRow("wasted", o.WastedBytes, n.WastedBytes, c.WastedBytes, "shipped but not visible"),
		bytesRow("caches", o.CacheBytes, n.CacheBytes, c.CacheBytes, "package-manager and build caches left visible"),
		{"files", humanize.Comma(o.Files), humanize.Comma(n.Files), diffSignedCount(c.Files), "", "regular files in the final filesystem"},
		{"layers", strconv.Itoa(o.LayerCount), strconv.Itoa(n.LayerCount), diffSignedCount(int64(c.LayerCount)), "", ""},
	}
}

// diffStyle colours a change: growth red, shrinking green.
func diffStyle(p palette, n int64) func(string) string {
	switch {
	case n > 0:
		return p.red
	case n < 0:
		return p.green
	}
	return nil
}

// diffLayerSummary says in a line what the layers share.
func diffLayerSummary(l diff.LayerChanges) string {
	return fmt.Sprintf("%d shared (%s), %d added (%s, %s compressed), %d removed (%s)",
		l.Shared, size(l.SharedBytes), l.Added, size(l.AddedBytes), size(l.AddedCompressedBytes), l.Removed, size(l.RemovedBytes))
}

// diffPathSummary says in a line how many paths changed, and their bytes.
func diffPathSummary(pc diff.PathChanges) string {
	return fmt.Sprintf("%s (%s), %s (%s), %s (%s), %s unchanged",
		plural(int64(pc.Added), "added", "added"), diffSigned(pc.AddedBytes),
		plural(int64(pc.Removed), "removed", "removed"), diffSigned(-pc.RemovedBytes),
		plural(int64(pc.Changed), "changed", "changed"), diffSigned(pc.ChangedNewBytes-pc.ChangedOldBytes),
		humanize.Comma(int64(pc.Unchanged)))
}

// diffPackageSummary counts the package changes by kind, in a fixed order.
func diffPackageSummary(items []diff.PackageChange) string {
	counts := map[string]int{}
	for _, c := range items {
		counts[c.Change]++
	}
	var parts []string
	for _, k := range []string{diff.Added, diff.Removed, diff.Upgraded, diff.Downgraded, diff.VersionChanged, diff.Grown, diff.Shrunk} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// diffPackageSide describes one image's package databases in a few words.
func diffPackageSide(s diff.PackageSide) string {
	if len(s.Databases) == 0 {
		return "no package database"
	}
	var managers []string
	for _, d := range s.Databases {
		m := d.Manager
		if d.Status != "read" {
			m += " (" + d.Status + ")"
		}
		if !slices.Contains(managers, m) {
			managers = append(managers, m)
		}
	}
	s2 := fmt.Sprintf("%s, %s", strings.Join(managers, ", "), plural(int64(s.Packages), "package", "packages"))
	if !s.Complete {
		s2 += ", incomplete"
	}
	return s2
}

// diffPathSize is a side of a path change in a table: its size, or what it
// is when it holds no content ("dir", "-> target", "-").
func diffPathSize(s *diff.PathState) string {
	switch {
	case s == nil:
		return "-"
	case s.Type == diff.TypeFile && s.HardLinkOf != "":
		return size(s.Size) + " (link)"
	case s.Type == diff.TypeFile:
		return size(s.Size)
	}
	return s.Type
}

// diffPathNote says what changed at a path, beyond its bytes: what, the modes
// and targets; a hard link's first name.
func diffPathNote(c diff.PathChange) string {
	var notes []string
	for _, w := range c.What {
		switch w {
		case diff.WhatType:
			notes = append(notes, fmt.Sprintf("type %s -> %s", c.Old.Type, c.New.Type))
		case diff.WhatMode:
			notes = append(notes, fmt.Sprintf("mode %s -> %s", c.Old.Mode, c.New.Mode))
		case diff.WhatOwner:
			notes = append(notes, fmt.Sprintf("owner %d:%d -> %d:%d", c.Old.UID, c.Old.GID, c.New.UID, c.New.GID))
		case diff.WhatTarget:
			notes = append(notes, fmt.Sprintf("target %s -> %s", c.Old.Target, c.New.Target))
		default:
			notes = append(notes, w)
		}
	}
	if s := c.New; s != nil && s.HardLinkOf != "" {
		notes = append(notes, "hard link of "+s.HardLinkOf)
	} else if s := c.Old; c.New == nil && s != nil && s.HardLinkOf != "" {
		notes = append(notes, "hard link of "+s.HardLinkOf)
	}
	if s := c.New; c.Change == diff.Added && s != nil && s.Type == diff.TypeSymlink {
		notes = append(notes, "-> "+s.Target)
	}
	return strings.Join(notes, "; ")
}

// diffPackageName names a package with its architecture ("libc6:amd64").
func diffPackageName(c diff.PackageChange) string {
	if c.Architecture == "" || c.Architecture == "all" || c.Architecture == "noarch" {
		return c.Name
	}
	return c.Name + ":" + c.Architecture
}

// diffPackageBytes is a package's bytes in one image, "?" when its file
// list is unknown.
func diffPackageBytes(c diff.PackageChange, n int64) string {
	if !c.FilesKnown {
		return "?"
	}
	return size(n)
}

// diffPackageDelta is a package's byte change, "?" when its file list is
// unknown.
func diffPackageDelta(c diff.PackageChange) string {
	if !c.FilesKnown {
		return "?"
	}
	return diffSigned(c.DeltaBytes)
}

// diffOrDash is s, or "-" when it is empty.
func diffOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// diffLayerIndex is a layer index in a table, "-" when absent.
func diffLayerIndex(i int) string {
	if i < 0 {
		return "-"
	}
	return strconv.Itoa(i)
}

// DiffText writes the human report of a diff: the figures of both images
// and their change, the layers, the biggest path changes, the directories
// and the packages that changed (opts.Top of each list; 0: all). It
// prints only what r holds.
func DiffText(w io.Writer, r *diff.Report, opts TextOptions) error {
	ew := &errWriter{w: w}
	p := palette{on: opts.Color}

	ew.printf("%s %s -> %s\n", p.bold("Diff"), r.Old.Reference, r.New.Reference)
	for _, im := range []diff.Image{r.Old, r.New} {
		var facts []string
		if im.Digest != "" {
			facts = append(facts, im.Digest)
		}
		if im.Platform != "" {
			facts = append(facts, im.Platform)
		}
		if len(facts) > 0 {
			ew.printf("  %s\n", p.dim(im.Reference+": "+strings.Join(facts, "  ")))
		}
	}
	ew.printf("\n")
	rows := [][]cell{{plain(""), styled("old", p.dim).alignRight(), styled("new", p.dim).alignRight(), styled("change", p.dim).alignRight(), plain(""), plain("")}}
	for i, f := range diffFigures(r) {
		var delta int64
		switch i {
		case 0:
			delta = r.Change.SizeBytes
		case 1:
			delta = r.Change.CompressedBytes
		case 2:
			delta = r.Change.VisibleBytes
		}
		name := plain(f.Name)
		if i == 0 {
			name = styled(f.Name, p.bold)
		}
		rows = append(rows, []cell{name, num(f.Old), num(f.New), styled(f.Change, diffStyle(p, delta)).alignRight(), num(f.Pct), styled(f.Note, p.dim)})
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}

	ew.printf("\n%s %s\n", p.bold("Layers"), diffLayerSummary(r.Layers))
	if l := r.Layers; l.Shared > 0 || l.Added > 0 {
		ew.printf("  %s\n", p.dim(fmt.Sprintf("a host that holds the old image pulls %s to get the new one", size(l.AddedCompressedBytes))))
	}
	rows = [][]cell{{styled("change", p.dim), styled("old", p.dim).alignRight(), styled("new", p.dim).alignRight(),
		styled("size", p.dim).alignRight(), styled("compressed", p.dim).alignRight(), styled("created by", p.dim)}}
	for _, l := range r.Layers.Items {
		created := ShortCreatedBy(l.CreatedBy, createdByWidth)
		if l.SameContentAs >= 0 {
			created += fmt.Sprintf(" (the content of old layer %d)", l.SameContentAs)
		}
		ch := plain(l.Change)
		switch l.Change {
		case diff.Added:
			ch = styled(l.Change, p.yellow)
		case diff.Shared:
			ch = styled(l.Change, p.dim)
		}
		rows = append(rows, []cell{ch, num(diffLayerIndex(l.OldIndex)), num(diffLayerIndex(l.NewIndex)), num(size(l.SizeBytes)), num(size(l.CompressedBytes)), plain(created)})
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}

	pc := r.Paths
	ew.printf("\n%s %s\n", p.bold("Paths"), diffPathSummary(pc))
	if len(pc.Items) == 0 {
		ew.printf("  %s\n", p.dim("the final filesystems are the same"))
	} else {
		n := opts.limit(len(pc.Items))
		rows = [][]cell{{styled("change", p.dim), styled("delta", p.dim).alignRight(), styled("old", p.dim).alignRight(),
			styled("new", p.dim).alignRight(), styled("path", p.dim), plain("")}}
		for _, c := range pc.Items[:n] {
			rows = append(rows, []cell{plain(c.Change), styled(diffSigned(c.DeltaBytes), diffStyle(p, c.DeltaBytes)).alignRight(),
				num(diffPathSize(c.Old)), num(diffPathSize(c.New)), plain(c.Path), styled(diffPathNote(c), p.dim)})
		}
		if err := table(ew, "  ", rows); err != nil {
			return err
		}
		diffMore(ew, p, len(pc.Items)-n, "paths", "; --format json has every path")
	}

	dc := r.Directories
	ew.printf("\n%s %s\n", p.bold("Directories"), p.dim(fmt.Sprintf("(rolled up to depth %d)", dc.Depth)))
	if len(dc.Items) == 0 {
		ew.printf("  %s\n", p.dim("none changed"))
	} else {
		n := opts.limit(len(dc.Items))
		rows = [][]cell{{styled("delta", p.dim).alignRight(), styled("old", p.dim).alignRight(), styled("new", p.dim).alignRight(),
			styled("added", p.dim).alignRight(), styled("removed", p.dim).alignRight(), styled("changed", p.dim).alignRight(), styled("directory", p.dim)}}
		for _, d := range dc.Items[:n] {
			rows = append(rows, []cell{styled(diffSigned(d.DeltaBytes), diffStyle(p, d.DeltaBytes)).alignRight(), num(size(d.OldBytes)), num(size(d.NewBytes)),
				num(diffCountBytes(d.Added, d.AddedBytes)), num(diffCountBytes(d.Removed, d.RemovedBytes)), num(diffCount(d.Changed)), plain(d.Dir)})
		}
		if err := table(ew, "  ", rows); err != nil {
			return err
		}
		diffMore(ew, p, len(dc.Items)-n, "directories", "")
	}

	pk := r.Packages
	ew.printf("\n%s %s\n", p.bold("Packages"), diffPackageSummary(pk.Items))
	ew.printf("  %s\n", p.dim(fmt.Sprintf("old: %s; new: %s", diffPackageSide(pk.Old), diffPackageSide(pk.New))))
	if len(pk.Items) > 0 {
		n := opts.limit(len(pk.Items))
		rows = [][]cell{{styled("change", p.dim), styled("package", p.dim), styled("old version", p.dim), styled("new version", p.dim),
			styled("old", p.dim).alignRight(), styled("new", p.dim).alignRight(), styled("delta", p.dim).alignRight()}}
		for _, c := range pk.Items[:n] {
			rows = append(rows, []cell{plain(c.Change), plain(diffPackageName(c)), plain(diffOrDash(c.OldVersion)), plain(diffOrDash(c.NewVersion)),
				num(diffPackageBytes(c, c.OldBytes)), num(diffPackageBytes(c, c.NewBytes)), styled(diffPackageDelta(c), diffStyle(p, c.DeltaBytes)).alignRight()})
		}
		if err := table(ew, "  ", rows); err != nil {
			return err
		}
		diffMore(ew, p, len(pk.Items)-n, "packages", "")
		if !allFilesKnown(pk.Items) {
			ew.printf("  %s\n", p.dim("? a package whose file list is missing: its files count as owned by no package"))
		}
	}
	if len(pk.Unowned) > 0 {
		ew.printf("  %s\n", p.dim("owned by no package, by top directory:"))
		n := opts.limit(len(pk.Unowned))
		rows = [][]cell{{styled("delta", p.dim).alignRight(), styled("old", p.dim).alignRight(), styled("new", p.dim).alignRight(), styled("directory", p.dim)}}
		for _, u := range pk.Unowned[:n] {
			rows = append(rows, []cell{styled(diffSigned(u.DeltaBytes), diffStyle(p, u.DeltaBytes)).alignRight(), num(size(u.OldBytes)), num(size(u.NewBytes)), plain(u.Dir)})
		}
		if err := table(ew, "    ", rows); err != nil {
			return err
		}
		diffMore(ew, p, len(pk.Unowned)-n, "directories", "")
	}
	return ew.err
}

// allFilesKnown reports whether every package's file list is known.
func allFilesKnown(items []diff.PackageChange) bool {
	for _, c := range items {
		if !c.FilesKnown {
			return false
		}
	}
	return true
}

// diffCount is a count in a table, "-" for none.
func diffCount(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// diffCountBytes is "3 (12 kB)", or "-" for none.
func diffCountBytes(n int, b int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%d (%s)", n, size(b))
}

// diffMore says how many rows --top left out.
func diffMore(w *errWriter, p palette, n int, what, hint string) {
	if n > 0 {
		w.printf("  %s\n", p.dim(fmt.Sprintf("... and %d more %s (--top 0 lists all%s)", n, what, hint)))
	}
}
