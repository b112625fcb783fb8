package rules

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// layerDownload is WH103: an archive fetched by curl/wget (or ADD <url>) in
// one instruction and extracted and/or deleted by a later RUN. The archive
// ships in the layer that downloaded it, next to what was extracted.
type layerDownload struct{}

func (layerDownload) Meta() Meta {
	return Meta{
		ID:       "WH103",
		Name:     "download-extracted-later",
		Summary:  "A file downloaded by one instruction and extracted or deleted by a later RUN still ships in the downloading layer.",
		Severity: Warning,
		Doc:      "docs/rules/WH103.md",
		Repair:   Safe,
		Measure:  MeasureHidden,
		Intent:   []string{"layer", "separate", "split"},
	}
}

// layerDownloads lists the files step i downloaded and kept.
func layerDownloads(steps []layerStep, i int) []string {
	var out []string
	for _, it := range layerMade(steps, i) {
		if it.kind == itemDownload {
			out = append(out, it.name)
		}
	}
	return out
}

// layerTouchesArchive says how c uses the downloaded file: "extracts",
// "deletes" or "".
func layerTouchesArchive(c *shellfacts.Command, file string) string {
	if e := c.Extract; e != nil && !e.Create && e.Archive != "" {
		if e.Archive == file {
			return "extracts"
		}
		if ok, _ := path.Match(e.Archive, file); ok {
			return "extracts"
		}
	}
	if f := c.File; f != nil && (f.Op == "rm" || f.Op == "unlink") {
		for _, p := range f.Paths {
			if layerPathOverlaps(file, p) {
				return "deletes"
			}
		}
	}
	return ""
}

// download is a file a step downloaded, with what later commands did
// with it.
type download struct {
	step            int
	file            string
	first           *shellfacts.Command
	firstIn, lastIn *dockerfile.Instruction
	acts            []string
}

func (layerDownload) Check(p *Pass) []Finding {
	var out []Finding
	for _, s := range p.File.Stages {
		steps, own := layerHistory(p, s)
		// The downloads of the steps read so far, by path; a download
		// that a command deletes is gone, and nothing later touches it.
		live := newLiveItems()
		var dls []*download
		var cand []int
		for j := range steps {
			// The stages s is built FROM delete downloads too; only what
			// s's own RUNs do is reported.
			if steps[j].facts != nil {
				for _, c := range steps[j].facts.Commands {
					cand = cand[:0]
					if e := c.Extract; e != nil && !e.Create && e.Archive != "" && path.IsAbs(e.Archive) {
						cand = live.pathCandidates(e.Archive, cand)
					}
					if f := c.File; f != nil && (f.Op == "rm" || f.Op == "unlink") {
						for _, q := range f.Paths {
							if path.IsAbs(q) {
								cand = live.pathCandidates(q, cand)
							}
						}
					}
					slices.Sort(cand)
					for _, k := range slices.Compact(cand) {
						d := dls[k]
						v := layerTouchesArchive(c, d.file)
						if v == "deletes" {
							live.dead[k] = true
						}
						if v == "" || j < own {
							continue
						}
						if d.first == nil {
							d.first, d.firstIn = c, steps[j].in
						}
						d.lastIn = steps[j].in
						act := v + " it at " + layerLine(steps[j].in)
						if len(d.acts) == 0 || d.acts[len(d.acts)-1] != act {
							d.acts = append(d.acts, act)
						}
					}
				}
			}
			for _, file := range layerDownloads(steps, j) {
				live.add(layerItem{step: j, kind: itemDownload, name: file})
				dls = append(dls, &download{step: j, file: file})
			}
		}
		for _, d := range dls {
			if d.first == nil {
				continue
			}
			src := steps[d.step].in
			msg := fmt.Sprintf("%s at %s downloads %s and a later RUN %s: the download still ships in the layer of %s",
				src.Kind, layerLine(src), d.file, strings.Join(d.acts, ", then "), layerLine(src))
			f := p.FindingAt(layerRange(d.first, d.firstIn), msg, layerDownloadFix(src))
			f.RelatedLine = src.Range.Start.Line
			if src.Kind == dockerfile.KindRun {
				if span := stageSpan(src, d.lastIn); span != nil {
					f.Repair, _ = p.mergeRepair(span, "merge the RUNs at "+lineRange(span)+" into one, so that the download is never committed")
				}
			}
			out = append(out, f)
		}
	}
	return out
}

func layerDownloadFix(src *dockerfile.Instruction) string {
	if src.Kind == dockerfile.KindAdd {
		return fmt.Sprintf("replace the ADD at %s with one RUN that downloads, extracts and deletes the archive (ADD never extracts remote URLs), e.g. `RUN curl -fsSL URL | tar -xz -C DIR`", layerLine(src))
	}
	return fmt.Sprintf("download, extract and delete in the RUN at %s (chain with &&), or stream it: `curl -fsSL URL | tar -xz -C DIR`", layerLine(src))
}
