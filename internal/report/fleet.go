package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/whittle/whittle/pkg/fleet"
)

// FleetJSON writes the fleet report as it is, indented by two spaces,
// followed by a newline. The fields are documented in
// docs/schema/fleet-v1.md.
func FleetJSON(w io.Writer, r *fleet.Report) error { return indentJSON(w, r) }

// FleetText writes the human report of a fleet: the footprint with shared
// layers counted once, each image's size and what only it holds, the
// shared bases and the base images in use, the biggest saving first
// (opts.Top of each). It prints only what r holds.
func FleetText(w io.Writer, r *fleet.Report, opts TextOptions) error {
	ew := &errWriter{w: w}
	p := palette{on: opts.Color}

	ew.printf("%s %s, %s\n", p.bold("Fleet"), plural(int64(len(r.Images)), "image", "images"), plural(int64(len(r.Layers)), "distinct layer", "distinct layers"))
	var saved, savedPull string
	if r.SizeBytes > 0 {
		saved = percent(float64(r.SharedSavingBytes)/float64(r.SizeBytes)) + " "
	}
	if r.CompressedBytes > 0 {
		savedPull = percent(float64(r.SharedSavingCompressedBytes)/float64(r.CompressedBytes)) + " "
	}
	rows := [][]cell{
		{plain(""), num("disk"), num("pull"), plain("")},
		{plain("images, each alone"), num(size(r.SizeBytes)), num(size(r.CompressedBytes)), styled("every image's layers, as if no layer were shared", p.dim)},
		{plain("footprint"), num(size(r.FootprintBytes)), num(size(r.FootprintCompressedBytes)), styled("what a host holding them all stores and pulls: each layer once", p.dim)},
		{styled("saved by sharing", p.green), styled(size(r.SharedSavingBytes), p.green).alignRight(), styled(size(r.SharedSavingCompressedBytes), p.green).alignRight(),
			styled(saved+"of disk, "+savedPull+"of pulls", p.dim)},
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}

	ew.printf("\n%s\n", p.bold("Images"))
	rows = [][]cell{{styled("image", p.dim), styled("layers", p.dim).alignRight(), styled("size", p.dim).alignRight(), styled("compressed", p.dim).alignRight(), styled("only its own", p.dim).alignRight(), styled("shared", p.dim).alignRight()}}
	for _, im := range r.Images {
		rows = append(rows, []cell{plain(im.Reference), num(strconv.Itoa(im.Layers)), num(size(im.SizeBytes)), num(size(im.CompressedBytes)),
			num(size(im.UniqueBytes)), num(size(im.SizeBytes - im.UniqueBytes))})
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}
	for _, im := range r.Images {
		if len(im.Aliases) > 0 {
			ew.printf("  %s\n", p.dim(fmt.Sprintf("(%s given again as %s: the same image, counted once)", im.Reference, strings.Join(im.Aliases, ", "))))
		}
	}

	ew.printf("\n%s\n", p.bold("Shared bases"))
	if len(r.Bases) == 0 {
		ew.printf("  %s\n", p.dim("none: no two images share a bottom layer"))
	} else {
		n := opts.limit(len(r.Bases))
		rows = [][]cell{{styled("layers", p.dim).alignRight(), styled("size", p.dim).alignRight(), styled("saved", p.dim).alignRight(), styled("images", p.dim), styled("top layer made by", p.dim)}}
		for _, b := range r.Bases[:n] {
			rows = append(rows, []cell{num(strconv.Itoa(b.Layers)), num(size(b.SizeBytes)), num(size(b.SavedBytes)), plain(joinLimited(b.Images, 4)), plain(ShortCreatedBy(b.CreatedBy, createdByWidth))})
		}
		if err := table(ew, "  ", rows); err != nil {
			return err
		}
		more(ew, p, len(r.Bases)-n)
	}

	ew.printf("\n%s\n", p.bold("Base images in use"))
	unknown := 0
	for _, im := range r.Images {
		if im.BaseLayers == 0 {
			unknown++
		}
	}
	if len(r.BasesInUse) == 0 {
		ew.printf("  %s\n", p.dim("none found: no image's history tells where its base ends"))
		fleetPackagesText(ew, p, r.Packages, opts)
		return ew.err
	}
	n := opts.limit(len(r.BasesInUse))
	rows = [][]cell{{styled("layers", p.dim).alignRight(), styled("size", p.dim).alignRight(), styled("moving all onto it saves", p.dim).alignRight(), styled("images", p.dim), styled("top layer made by", p.dim)}}
	for _, b := range r.BasesInUse[:n] {
		rows = append(rows, []cell{num(strconv.Itoa(b.Layers)), num(size(b.SizeBytes)), num(size(b.ConsolidationSavingBytes)), plain(joinLimited(b.Images, 4)), plain(ShortCreatedBy(b.CreatedBy, createdByWidth))})
	}
	if err := table(ew, "  ", rows); err != nil {
		return err
	}
	more(ew, p, len(r.BasesInUse)-n)
	if unknown > 0 {
		ew.printf("  %s\n", p.dim(fmt.Sprintf("(%s: the history does not tell where the base ends)", plural(int64(unknown), "image left out", "images left out"))))
	}
	fleetPackagesText(ew, p, r.Packages, opts)
	return ew.err
}

// fleetPackagesText writes the Packages section of a fleet (with
// --packages): each image's bytes in packages, then the biggest packages
// by the bytes stored (opts.Top of them).
func fleetPackagesText(ew *errWriter, p palette, pk *fleet.Packages, opts TextOptions) {
	if pk == nil {
		return
	}
	title := "Packages"
	if !pk.Complete {
		title += " (incomplete)"
	}
	ew.printf("\n%s\n", p.bold(title))
	other := "no package"
	if !pk.Complete {
		other = "no package or not attributed"
	}
	rows := [][]cell{{styled("image", p.dim), styled("packages", p.dim).alignRight(), styled("in packages", p.dim).alignRight(), styled(other, p.dim).alignRight(), styled("", p.dim)}}
	for _, im := range pk.Images {
		note := ""
		if len(im.NotRead) > 0 {
			note = "not read: " + strings.Join(im.NotRead, ", ")
		} else if !im.Complete {
			note = "some file lists unknown"
		}
		rows = append(rows, []cell{plain(im.Reference), num(strconv.Itoa(im.Packages)), num(size(im.Bytes)), num(size(im.NoPackageBytes)), styled(note, p.yellow)})
	}
	if err := table(ew, "  ", rows); err != nil {
		return
	}
	if len(pk.Installed) == 0 {
		ew.printf("  %s\n", p.dim("no package installed in any image"))
		return
	}
	ew.printf("  %s in %s: %s stored, each layer's copy once (%s, each image alone)\n",
		plural(int64(len(pk.Installed)), "package", "packages"), plural(int64(len(pk.Images)), "image", "images"), size(pk.StoredBytes), size(pk.BytesEachAlone))
	n := opts.limit(len(pk.Installed))
	rows = [][]cell{{styled("stored", p.dim).alignRight(), styled("each alone", p.dim).alignRight(), styled("images", p.dim).alignRight(),
		styled("layers", p.dim).alignRight(), styled("package", p.dim), styled("versions", p.dim)}}
	for _, fp := range pk.Installed[:n] {
		name := fp.Name
		if fp.Architecture != "" {
			name += ":" + fp.Architecture
		}
		if !fp.FilesKnown {
			name += " ?"
		}
		layers := num(strconv.Itoa(fp.Layers))
		if fp.Layers > 1 {
			layers = styled(strconv.Itoa(fp.Layers), p.yellow).alignRight()
		}
		rows = append(rows, []cell{num(size(fp.StoredBytes)), num(size(fp.BytesEachAlone)), num(strconv.Itoa(len(fp.Images))), layers,
			plain(name), plain(joinLimited(fp.Versions, 3))})
	}
	if err := table(ew, "  ", rows); err != nil {
		return
	}
	more(ew, p, len(pk.Installed)-n)
	ew.printf("  %s\n", p.dim("layers: the distinct layers that installed it; more than 1: each holds its own copy, which a shared base would store once"))
	for _, fp := range pk.Installed {
		if !fp.FilesKnown {
			ew.printf("  %s\n", p.dim("? a package whose file list some image does not record: its files there count as not attributed"))
			break
		}
	}
}

// more says how many rows --top left out.
func more(w *errWriter, p palette, n int) {
	if n > 0 {
		w.printf("  %s\n", p.dim(fmt.Sprintf("... and %d more (--top 0 lists all)", n)))
	}
}

// joinLimited joins up to max names with ", " and says how many more.
func joinLimited(names []string, max int) string {
	s := ""
	for i, n := range names {
		if i == max {
			return s + fmt.Sprintf(" and %d more", len(names)-max)
		}
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}
