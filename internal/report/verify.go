package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"

	"github.com/whittle/whittle/pkg/diff"
	"github.com/whittle/whittle/pkg/verify"
)

// VerifyText writes the text report of `whittle fix --verify` on name's
// repair: the two images' figures and what the repair saves, the paths
// gone or changed in the known categories (summed), the packages that
// differ, every path gone or changed outside them, and the verdict.
func VerifyText(w io.Writer, name string, r *verify.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: built with %s as %s and %s\n\n", name, r.Engine, r.Original.Tag, r.Fixed.Tag)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\toriginal\tfixed\tsaved\t\n")
	fmt.Fprintf(tw, "size\t%s\t%s\t%s\t  %s\n", size(r.Original.SizeBytes), size(r.Fixed.SizeBytes), size(r.Saved.SizeBytes), exact(r.Saved.SizeBytes))
	if r.Saved.CompressedKnown {
		fmt.Fprintf(tw, "compressed\t%s\t%s\t%s\t  %s\n", size(r.Original.CompressedBytes), size(r.Fixed.CompressedBytes), size(r.Saved.CompressedBytes), exact(r.Saved.CompressedBytes))
	} else {
		fmt.Fprintf(tw, "compressed\t-\t-\t-\t  not known: %s gave uncompressed layers\n", r.Engine)
	}
	fmt.Fprintf(tw, "visible\t%s\t%s\t%s\t  %s\n", size(r.Original.VisibleBytes), size(r.Fixed.VisibleBytes), size(r.Saved.VisibleBytes), exact(r.Saved.VisibleBytes))
	fmt.Fprintf(tw, "files\t%s\t%s\t%s\t\n", commas(r.Original.Files), commas(r.Fixed.Files), commas(r.Original.Files-r.Fixed.Files))
	fmt.Fprintf(tw, "layers\t%d\t%d\t%d\t\n", r.Original.Layers, r.Fixed.Layers, r.Original.Layers-r.Fixed.Layers)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Expected) > 0 {
		b.WriteString("\ngone or changed in caches, documentation and package-manager files (no change in behaviour):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Expected {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Kind, c.Name, countText(c.Removed, c.Changed), exact(c.OldBytes-c.NewBytes)+" saved")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.Added.Paths > 0 {
		fmt.Fprintf(&b, "\nonly in the fixed image: %s, %s\n", plural(int64(r.Added.Paths), "path", "paths"), exact(r.Added.Bytes))
	}
	if len(r.Packages) > 0 {
		b.WriteString("\npackages that differ:\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range r.Packages {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Change, p.Name, versions(p), diffPackageBytes(p, -p.DeltaBytes)+" saved")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Suspect) > 0 {
		fmt.Fprintf(&b, "\n%s gone or changed outside caches, documentation and package-manager files (a possible change in behaviour):\n",
			plural(int64(len(r.Suspect)), "path", "paths"))
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, p := range r.Suspect {
			what := p.Type
			if p.Change == diff.Changed {
				what = strings.Join(p.What, ", ")
			}
			bytes := ""
			if p.OldBytes != 0 || p.NewBytes != 0 {
				bytes = exact(p.OldBytes)
				if p.Change == diff.Changed {
					bytes += " -> " + exact(p.NewBytes)
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Change, p.Path, what, bytes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n%s: the repair may change what the image does: check the paths above before taking it\n", name)
	} else {
		fmt.Fprintf(&b, "\n%s: the repair is harmless: nothing outside caches, documentation and package-manager files disappeared or changed\n", name)
	}
	if r.ImagesKept {
		fmt.Fprintf(&b, "images kept: %s, %s\n", r.Original.Tag, r.Fixed.Tag)
	}
	for _, c := range r.Cleanup {
		fmt.Fprintf(&b, "could not remove %s\n", c)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func commas(n int64) string { return humanize.Comma(n) }

func countText(removed, changed int) string {
	var parts []string
	if removed > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", removed))
	}
	if changed > 0 {
		parts = append(parts, fmt.Sprintf("%d changed", changed))
	}
	return strings.Join(parts, ", ")
}

func versions(p diff.PackageChange) string {
	switch {
	case p.OldVersion == p.NewVersion:
		return p.OldVersion
	case p.NewVersion == "":
		return p.OldVersion
	case p.OldVersion == "":
		return p.NewVersion
	}
	return p.OldVersion + " -> " + p.NewVersion
}
