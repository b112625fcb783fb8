package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/account"
)

// DefaultTop is how many waste items, duplicate sets and dive inefficiencies
// the text report lists unless told otherwise.
const DefaultTop = 10

// createdByWidth is where the layer table cuts created_by.
const createdByWidth = 64

// DocsAnalyze is the user guide that explains every figure.
const DocsAnalyze = "docs/analyze.md"

// TextOptions control the text renderers.
type TextOptions struct {
	// Top is how many waste items, duplicate sets and dive inefficiencies
	// to list; 0 or less lists all of them.
	Top int
	// Color turns on ANSI colours.
	Color bool
}

func (o TextOptions) limit(n int) int {
	if o.Top <= 0 || o.Top > n {
		return n
	}
	return o.Top
}

// errWriter remembers the first write error so that a renderer can print
// freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// AnalyzeText writes the human report of one image: a summary, the biggest
// waste grouped by layer and reason, a table of layers, caches,
// documentation and locales, duplicates and the dive-compatible figures;
// then, when the analysis has them, the packages and the findings about
// the image. It prints only what a holds; the Dockerfile's measured
// findings and the gate have renderers of their own (MeasureText,
// GateText).
func AnalyzeText(w io.Writer, a Analysis, opts TextOptions) error {
	ew := &errWriter{w: w}
	p := palette{on: opts.Color}
	r := a.Report
	sections := []func() error{
		func() error { return textHeader(ew, r, opts, p) },
		func() error { return textSummary(ew, r, opts, p) },
		func() error { return textWaste(ew, r, opts, p) },
		func() error { return textLayers(ew, r, opts, p) },
		func() error { return textCaches(ew, r, opts, p) },
		func() error { return textDocs(ew, r, opts, p) },
		func() error { return textDuplicates(ew, r, opts, p) },
		func() error { return textDive(ew, r, opts, p) },
	}
	if a.Packages != nil {
		sections = append(sections, func() error { return textPackages(ew, a.Packages, opts, p) })
	}
	if a.Packages != nil || len(a.Findings) > 0 {
		sections = append(sections, func() error { return textFindings(ew, a.Findings, a.Packages, opts, p) })
	}
	for i, s := range sections {
		if i > 0 {
			ew.printf("\n")
		}
		if err := s(); err != nil {
			return err
		}
		if ew.err != nil {
			return ew.err
		}
	}
	return ew.err
}

func textHeader(w *errWriter, r *account.Report, _ TextOptions, p palette) error {
	im := r.Image
	w.printf("%s %s\n", p.bold("Image"), im.Reference)
	var facts []string
	if im.Digest != "" {
		facts = append(facts, im.Digest)
	}
	if im.Platform != "" {
		facts = append(facts, im.Platform)
	}
	facts = append(facts, plural(int64(len(r.Layers)), "layer", "layers"))
	w.printf("  %s\n", p.dim(strings.Join(facts, "  ")))
	return nil
}

func textSummary(w *errWriter, r *account.Report, _ TextOptions, p palette) error {
	im := r.Image
	var wastedPct string
	if im.SizeBytes > 0 {
		wastedPct = percent(float64(im.WastedBytes)/float64(im.SizeBytes)) + " of size, "
	}
	wasted := func(s string) string { return s }
	if im.WastedBytes > 0 {
		wasted = p.red
	}
	rows := [][]cell{
		{plain("size"), num(size(im.SizeBytes)), plain(exact(im.SizeBytes)), styled("file content in all layers, uncompressed", p.dim)},
		{plain("compressed"), num(size(im.CompressedBytes)), plain(exact(im.CompressedBytes)), styled("layer blobs as stored or pushed", p.dim)},
		{styled("wasted", wasted), styled(size(im.WastedBytes), wasted).alignRight(), plain(exact(im.WastedBytes)),
			styled(wastedPct+"shipped but not visible in the final filesystem", p.dim)},
		{plain("visible"), num(size(im.VisibleBytes)), plain(exact(im.VisibleBytes)), styled("file content in the final filesystem", p.dim)},
		{plain("caches"), num(size(im.CacheBytes)), plain(exact(im.CacheBytes)), styled("package-manager and build caches left visible", p.dim)},
		{plain("docs"), num(size(im.DocBytes)), plain(exact(im.DocBytes)), styled("documentation, manual pages and locales", p.dim)},
		{plain("duplicates"), num(size(im.DuplicateBytes)), plain(exact(im.DuplicateBytes)), styled("visible copies of other visible files", p.dim)},
		{plain("files"), num(humanize.Comma(im.Files)), plain(""), styled("regular files in the final filesystem", p.dim)},
	}
	w.printf("%s\n", p.bold("Summary"))
	return table(w, "  ", rows)
}

func (c cell) alignRight() cell { c.right = true; return c }

// wasteGroup is the waste items of one layer hidden for one reason by one
// later layer, for display: the items shown, and the files and bytes of
// the whole group.
type wasteGroup struct {
	reason     string
	shadowedBy int
	items      []account.WasteItem
	files      int
	bytes      int64
}

// layerWaste is the shown waste of one layer, in groups, with the layer's
// total waste.
type layerWaste struct {
	layer  int
	total  int64
	groups []*wasteGroup
}

// wasteGroups groups the shown items by layer, then by reason and hiding
// layer. Layers come in the order of their total waste (the report's), and
// each layer's groups in the order of theirs (over every item of the
// report, shown or not), the biggest first; items keep their order. Ties
// keep the order of the biggest item.
func wasteGroups(r *account.Report, shown []account.WasteItem) []*layerWaste {
	type key struct {
		layer, by int
		reason    string
	}
	totals := map[key]*wasteGroup{}
	for _, it := range r.Waste {
		k := key{it.Layer, it.ShadowedBy, it.Reason}
		g := totals[k]
		if g == nil {
			g = &wasteGroup{reason: it.Reason, shadowedBy: it.ShadowedBy}
			totals[k] = g
		}
		g.files++
		g.bytes += it.Bytes
	}
	var out []*layerWaste
	byLayer := map[int]*layerWaste{}
	for _, it := range shown {
		lw := byLayer[it.Layer]
		if lw == nil {
			lw = &layerWaste{layer: it.Layer}
			if it.Layer >= 0 && it.Layer < len(r.Layers) {
				lw.total = r.Layers[it.Layer].WastedBytes
			}
			byLayer[it.Layer] = lw
			out = append(out, lw)
		}
		g := totals[key{it.Layer, it.ShadowedBy, it.Reason}]
		if len(g.items) == 0 {
			lw.groups = append(lw.groups, g)
		}
		g.items = append(g.items, it)
	}
	slices.SortStableFunc(out, func(a, b *layerWaste) int { return cmp.Compare(b.total, a.total) })
	for _, lw := range out {
		slices.SortStableFunc(lw.groups, func(a, b *wasteGroup) int { return cmp.Compare(b.bytes, a.bytes) })
	}
	return out
}

func reasonText(reason string, by int) string {
	switch reason {
	case account.ReasonOverwritten:
		return fmt.Sprintf("overwritten by layer %d", by)
	case account.ReasonDeleted:
		return fmt.Sprintf("deleted by layer %d", by)
	case account.ReasonOpaque:
		return fmt.Sprintf("hidden by an opaque directory in layer %d", by)
	case account.ReasonParentDeleted:
		return fmt.Sprintf("directory deleted by layer %d", by)
	case account.ReasonParentReplaced:
		return fmt.Sprintf("directory replaced by a non-directory in layer %d", by)
	}
	return fmt.Sprintf("%s by layer %d", reason, by)
}

// biggestWaste orders waste items by bytes, largest first, then by path
// and layer.
func biggestWaste(items []account.WasteItem) []account.WasteItem {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b account.WasteItem) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Layer, b.Layer))
	})
	return out
}

func textWaste(w *errWriter, r *account.Report, opts TextOptions, p palette) error {
	if len(r.Waste) == 0 {
		w.printf("%s\n  %s\n", p.bold("Waste"), "none: every byte shipped is visible in the final filesystem")
		return nil
	}
	items := biggestWaste(r.Waste)
	shown := opts.limit(len(items))
	title := "Biggest waste"
	if shown < len(items) {
		title += fmt.Sprintf(" (top %d of %d files)", shown, len(items))
	} else {
		title += fmt.Sprintf(" (%s)", plural(int64(len(items)), "file", "files"))
	}
	w.printf("%s\n", p.bold(title))

	for _, lg := range wasteGroups(r, items[:shown]) {
		li := lg.layer
		head := fmt.Sprintf("layer %d", li)
		if li >= 0 && li < len(r.Layers) {
			l := r.Layers[li]
			head += fmt.Sprintf("  %s", ShortCreatedBy(l.CreatedBy, createdByWidth))
			w.printf("  %s  %s\n", p.bold(head), p.red(size(l.WastedBytes)+" wasted in this layer"))
		} else {
			w.printf("  %s\n", p.bold(head))
		}
		for _, g := range lg.groups {
			why := reasonText(g.reason, g.shadowedBy)
			if g.files > 1 {
				why += fmt.Sprintf(": %s in %d files", size(g.bytes), g.files)
			}
			w.printf("    %s\n", p.yellow(why))
			rows := make([][]cell, 0, len(g.items))
			for _, it := range g.items {
				rows = append(rows, []cell{num(size(it.Bytes)), plain(it.Path)})
			}
			if err := table(w, "      ", rows); err != nil {
				return err
			}
		}
	}
	if shown < len(items) {
		w.printf("  %s\n", p.dim(fmt.Sprintf("… %d more (--top 0 lists all; --format json has every file)", len(items)-shown)))
	}
	return nil
}

func textLayers(w *errWriter, r *account.Report, _ TextOptions, p palette) error {
	w.printf("%s\n", p.bold("Layers"))
	if len(r.Layers) == 0 {
		w.printf("  none\n")
		return nil
	}
	rows := [][]cell{{styled("#", p.dim).alignRight(), styled("size", p.dim).alignRight(),
		styled("compressed", p.dim).alignRight(), styled("wasted", p.dim).alignRight(), styled("created by", p.dim)}}
	for _, l := range r.Layers {
		wasted := num(size(l.WastedBytes))
		if l.WastedBytes > 0 {
			wasted = styled(size(l.WastedBytes), p.red).alignRight()
		} else {
			wasted = num("-")
		}
		rows = append(rows, []cell{num(strconv.Itoa(l.Index)), num(size(l.SizeBytes)), num(size(l.CompressedBytes)),
			wasted, plain(ShortCreatedBy(l.CreatedBy, createdByWidth))})
	}
	return table(w, "  ", rows)
}

func textCaches(w *errWriter, r *account.Report, _ TextOptions, p palette) error {
	if len(r.Caches) == 0 {
		w.printf("%s\n  none\n", p.bold("Caches"))
		return nil
	}
	w.printf("%s\n", p.bold("Caches left in the image"))
	caches := slices.Clone(r.Caches)
	slices.SortFunc(caches, func(a, b account.Cache) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Category, b.Category))
	})
	rows := make([][]cell, 0, len(caches))
	for _, c := range caches {
		var where []string
		for _, lb := range c.Layers {
			where = append(where, fmt.Sprintf("layer %d (%s)", lb.Layer, size(lb.Bytes)))
		}
		rows = append(rows, []cell{styled(c.Category, p.yellow), num(size(c.Bytes)), num(plural(c.Files, "file", "files")),
			styled(strings.Join(where, ", "), p.dim)})
	}
	return table(w, "  ", rows)
}

func textDuplicates(w *errWriter, r *account.Report, opts TextOptions, p palette) error {
	if len(r.Duplicates) == 0 {
		w.printf("%s\n  none\n", p.bold("Duplicates"))
		return nil
	}
	dups := slices.Clone(r.Duplicates)
	slices.SortFunc(dups, func(a, b account.Duplicate) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Digest, b.Digest))
	})
	shown := opts.limit(len(dups))
	title := "Duplicates"
	if shown < len(dups) {
		title += fmt.Sprintf(" (top %d of %d sets)", shown, len(dups))
	}
	w.printf("%s\n", p.bold(title))
	for _, d := range dups[:shown] {
		w.printf("  %s  %s\n", p.yellow(size(d.Bytes)),
			p.dim(fmt.Sprintf("%d copies of %s, %s", len(d.Paths), size(d.Size), shortDigest(d.Digest))))
		for _, path := range d.Paths {
			w.printf("    %s\n", path)
		}
	}
	if shown < len(dups) {
		w.printf("  %s\n", p.dim(fmt.Sprintf("… %d more sets", len(dups)-shown)))
	}
	return nil
}

func shortDigest(d string) string {
	if algo, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return d
}

func textDive(w *errWriter, r *account.Report, opts TextOptions, p palette) error {
	d := r.Dive
	w.printf("%s %s\n", p.bold("dive-compatible figures"), p.dim("(what .dive-ci rules judge; not whittle's waste: see docs/analyze.md)"))
	rows := [][]cell{
		{plain("efficiency"), plain(percent(d.Efficiency))},
		{plain("wasted bytes"), plain(fmt.Sprintf("%s (%s)", size(d.WastedBytes), exact(d.WastedBytes)))},
		{plain("user wasted percent"), plain(percent(d.UserWastedPercent) + p.dim(fmt.Sprintf("  of %s added above the base layer", size(d.UserSizeBytes))))},
	}
	if err := table(w, "  ", rows); err != nil {
		return err
	}
	if len(d.Inefficiencies) == 0 {
		return nil
	}
	ineff := slices.Clone(d.Inefficiencies)
	slices.SortFunc(ineff, func(a, b account.DiveInefficient) int {
		return cmp.Or(cmp.Compare(b.SizeBytes, a.SizeBytes), cmp.Compare(a.Path, b.Path))
	})
	shown := opts.limit(len(ineff))
	w.printf("  %s\n", p.dim(fmt.Sprintf("inefficient files (%d of %d)", shown, len(ineff))))
	rows = [][]cell{{styled("count", p.dim).alignRight(), styled("size", p.dim).alignRight(), styled("path", p.dim)}}
	for _, f := range ineff[:shown] {
		rows = append(rows, []cell{num(strconv.Itoa(f.Count)), num(size(f.SizeBytes)), plain(f.Path)})
	}
	return table(w, "    ", rows)
}
