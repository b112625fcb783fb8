package rules

import (
	"fmt"
	"slices"
	"strings"
)

// cacheInImage is WH804: package-manager and build caches visible in the
// final image (the caches of the account, but tmp), one finding per
// category and layer that left bytes in it.
type cacheInImage struct{}

func (cacheInImage) Meta() Meta {
	return Meta{
		ID:       "WH804",
		Name:     "package-cache-in-image",
		Summary:  "Package-manager and build caches (apt lists and archives, apk, dnf, yum, zypper, pip, npm, yarn, gem, the Go build cache) are visible in the final image.",
		Severity: Warning,
		Doc:      "docs/rules/WH804.md",
	}
}

func (cacheInImage) CheckImage(in *ImageInput) []ImageFinding {
	rep := in.Report
	if rep == nil {
		return nil
	}
	var out []ImageFinding
	for _, c := range rep.Caches {
		if c.Category == "tmp" {
			continue // not a package manager's: WH601 finds it in a Dockerfile
		}
		for _, lb := range c.Layers {
			if lb.Bytes == 0 {
				continue
			}
			f := ImageFinding{Severity: Warning, Bytes: lb.Bytes, Layer: lb.Layer, Category: c.Category,
				Message: fmt.Sprintf("%s left in the final image", cacheWords(c.Category)),
				Fix:     cacheFix(c.Category)}
			if lb.Layer >= 0 && lb.Layer < len(rep.Layers) {
				f.CreatedBy = rep.Layers[lb.Layer].CreatedBy
			}
			out = append(out, f)
		}
	}
	return out
}

// cacheWords names a cache category for people.
func cacheWords(category string) string {
	switch category {
	case "apt-lists":
		return "apt's package lists (/var/lib/apt/lists)"
	case "apt-archives":
		return "apt's downloaded packages (/var/cache/apt)"
	case "apk-cache":
		return "apk's cache (/var/cache/apk)"
	case "go-build-cache":
		return "Go's build cache"
	}
	name, _, _ := strings.Cut(category, "-")
	return name + "'s cache"
}

// cacheFix says to clean the cache in the RUN that fills it, and names
// the Dockerfile rules that measure that category (Meta.Category), which
// find that RUN.
func cacheFix(category string) string {
	var ids []string
	for _, m := range Metas() {
		if m.Measure == MeasureCache && m.Category == category {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	fix := "clean the cache in the RUN that fills it, or keep it out with `RUN --mount=type=cache`; a later RUN cannot shrink this layer (whittle squash can)"
	if len(ids) > 0 {
		fix += "; whittle lint finds the RUN (" + strings.Join(ids, ", ") + ")"
	}
	return fix
}
