package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/diff"
)

// DiffMarkdown writes the diff as GitHub-flavoured Markdown, to paste into
// a pull-request comment: a heading with the size change, the figures
// table, the CI gate's verdict (when g is not nil), and the layers, paths,
// directories and packages in collapsed sections (opts.Top rows of each
// list; 0: all). Everything it prints comes from r and g.
func DiffMarkdown(w io.Writer, r *diff.Report, g *gate.Outcome, opts TextOptions) error {
	ew := &errWriter{w: w}
	c := r.Change
	ew.printf("### whittle diff: %s → %s\n\n", mdCode(r.Old.Reference), mdCode(r.New.Reference))
	headline := fmt.Sprintf("**Size %s → %s (%s", size(r.Old.SizeBytes), size(r.New.SizeBytes), diffSigned(c.SizeBytes))
	if pct := diffPercent(c.SizeBytes, r.Old.SizeBytes); pct != "" {
		headline += ", " + pct
	}
	headline += ")**"
	headline += fmt.Sprintf(" · compressed %s → %s (%s)", size(r.Old.CompressedBytes), size(r.New.CompressedBytes), diffSigned(c.CompressedBytes))
	if l := r.Layers; l.Shared > 0 {
		headline += fmt.Sprintf(" · a host holding the old image pulls %s", size(l.AddedCompressedBytes))
	}
	ew.printf("%s\n\n", headline)

	if g != nil {
		verdict := "✅ **CI gate: PASS**"
		if !g.Pass {
			verdict = fmt.Sprintf("❌ **CI gate: FAIL** (%d of %s failed)", g.Failed(), plural(int64(len(g.Results)), "rule", "rules"))
		}
		ew.printf("%s\n\n", verdict)
		ew.printf("| verdict | rule | figure | value | threshold |\n|---|---|---|--:|---|\n")
		for _, res := range g.Results {
			value, threshold := gateCells(res)
			ew.printf("| %s | %s | %s | %s | %s |\n", res.Status, mdText(res.Rule.Name), mdText(res.Rule.Figure.String()), mdText(value), mdText(threshold))
		}
		ew.printf("\n")
	}

	ew.printf("| | old | new | change | |\n|---|--:|--:|--:|--:|\n")
	for _, f := range diffFigures(r) {
		ew.printf("| %s | %s | %s | %s | %s |\n", f.Name, f.Old, f.New, f.Change, f.Pct)
	}
	ew.printf("\n")

	pc := r.Paths
	ew.printf("<details open><summary>Paths: %s</summary>\n\n", mdText(diffPathSummary(pc)))
	if len(pc.Items) == 0 {
		ew.printf("The final filesystems are the same.\n")
	} else {
		n := opts.limit(len(pc.Items))
		ew.printf("| change | delta | old | new | path | what |\n|---|--:|--:|--:|---|---|\n")
		for _, it := range pc.Items[:n] {
			ew.printf("| %s | %s | %s | %s | %s | %s |\n", it.Change, diffSigned(it.DeltaBytes), diffPathSize(it.Old), diffPathSize(it.New), mdCode(it.Path), mdText(diffPathNote(it)))
		}
		mdMore(ew, len(pc.Items)-n, "paths")
	}
	ew.printf("\n</details>\n\n")

	dc := r.Directories
	ew.printf("<details><summary>Directories (depth %d): %s</summary>\n\n", dc.Depth, plural(int64(len(dc.Items)), "changed", "changed"))
	if len(dc.Items) == 0 {
		ew.printf("None changed.\n")
	} else {
		n := opts.limit(len(dc.Items))
		ew.printf("| delta | old | new | added | removed | changed | directory |\n|--:|--:|--:|--:|--:|--:|---|\n")
		for _, d := range dc.Items[:n] {
			ew.printf("| %s | %s | %s | %s | %s | %s | %s |\n", diffSigned(d.DeltaBytes), size(d.OldBytes), size(d.NewBytes),
				diffCountBytes(d.Added, d.AddedBytes), diffCountBytes(d.Removed, d.RemovedBytes), diffCount(d.Changed), mdCode(d.Dir))
		}
		mdMore(ew, len(dc.Items)-n, "directories")
	}
	ew.printf("\n</details>\n\n")

	pk := r.Packages
	ew.printf("<details><summary>Packages: %s</summary>\n\n", mdText(diffPackageSummary(pk.Items)))
	ew.printf("Old: %s. New: %s.\n\n", mdText(diffPackageSide(pk.Old)), mdText(diffPackageSide(pk.New)))
	if len(pk.Items) > 0 {
		n := opts.limit(len(pk.Items))
		ew.printf("| change | package | old version | new version | old | new | delta |\n|---|---|---|---|--:|--:|--:|\n")
		for _, it := range pk.Items[:n] {
			ew.printf("| %s | %s | %s | %s | %s | %s | %s |\n", it.Change, mdCode(diffPackageName(it)), mdVersion(it.OldVersion),
				mdVersion(it.NewVersion), diffPackageBytes(it, it.OldBytes), diffPackageBytes(it, it.NewBytes), diffPackageDelta(it))
		}
		mdMore(ew, len(pk.Items)-n, "packages")
		if !allFilesKnown(pk.Items) {
			ew.printf("\n? a package whose file list is missing: its files count as owned by no package.\n")
		}
		ew.printf("\n")
	}
	if len(pk.Unowned) > 0 {
		n := opts.limit(len(pk.Unowned))
		ew.printf("Owned by no package, by top directory:\n\n| delta | old | new | directory |\n|--:|--:|--:|---|\n")
		for _, u := range pk.Unowned[:n] {
			ew.printf("| %s | %s | %s | %s |\n", diffSigned(u.DeltaBytes), size(u.OldBytes), size(u.NewBytes), mdCode(u.Dir))
		}
		mdMore(ew, len(pk.Unowned)-n, "directories")
	}
	ew.printf("\n</details>\n\n")

	l := r.Layers
	ew.printf("<details><summary>Layers: %s</summary>\n\n", mdText(diffLayerSummary(l)))
	ew.printf("| change | old | new | size | compressed | created by |\n|---|--:|--:|--:|--:|---|\n")
	for _, it := range l.Items {
		created := ShortCreatedBy(it.CreatedBy, createdByWidth)
		note := ""
		if it.SameContentAs >= 0 {
			note = fmt.Sprintf(" (the content of old layer %d)", it.SameContentAs)
		}
		ew.printf("| %s | %s | %s | %s | %s | %s%s |\n", it.Change, diffLayerIndex(it.OldIndex), diffLayerIndex(it.NewIndex),
			size(it.SizeBytes), size(it.CompressedBytes), mdCode(created), note)
	}
	ew.printf("\n</details>\n\n")
	ew.printf("<sub>whittle diff · %s · sizes in SI units · figures defined in docs/diff.md</sub>\n", r.SchemaVersion)
	return ew.err
}

// mdVersion is a version as inline code, "-" when there is none.
func mdVersion(v string) string {
	if v == "" {
		return "-"
	}
	return mdCode(v)
}

// mdMore says how many rows --top left out.
func mdMore(w *errWriter, n int, what string) {
	if n > 0 {
		w.printf("\n… and %d more %s (`--top 0` lists all; `--format json` has every one).\n", n, what)
	}
}

// mdText escapes text for a Markdown table cell: the characters that
// would end the cell or start markup, and line breaks.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>', '#', '~', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode writes s as inline code in a table cell: fenced by more
// backticks than it holds in a row, its pipes escaped (GitHub ends a cell
// at a pipe even inside code) and its line breaks made spaces.
func mdCode(s string) string {
	s = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}
