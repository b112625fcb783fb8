package squash

import (
	"archive/tar"
	"fmt"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/account"
)

// PruneAll, as a category, selects every cache category.
const PruneAll = "caches"

// PruneCategories returns the cache category names WithPrune accepts,
// besides PruneAll: account.CacheCategories, where the paths each covers
// are defined once, for analyze and squash alike.
func PruneCategories() []string { return account.CacheCategories() }

// pruner drops the non-directory entries of the merged range that lie in
// the chosen cache categories. A nil pruner drops nothing.
type pruner struct {
	cats map[string]bool
}

func newPruner(cats []string) (*pruner, error) {
	if len(cats) == 0 {
		return nil, nil
	}
	p := &pruner{cats: map[string]bool{}}
	all := account.CacheCategories()
	known := map[string]bool{}
	for _, c := range all {
		known[c] = true
	}
	for _, c := range cats {
		c = strings.TrimSpace(c)
		switch {
		case c == PruneAll:
			for k := range known {
				p.cats[k] = true
			}
		case known[c]:
			p.cats[c] = true
		default:
			return nil, fmt.Errorf("unknown cache category %q (known: %s, %s)", c, PruneAll, strings.Join(all, ", "))
		}
	}
	return p, nil
}

// match returns the category that drops path p, or "".
func (p *pruner) match(path string) string {
	if p == nil {
		return ""
	}
	if c := account.CacheCategory(path); c != "" && p.cats[c] {
		return c
	}
	return ""
}

// Pruned is what pruning dropped of one cache category.
type Pruned struct {
	Category string `json:"category"`
	// Files counts the non-directory entries dropped, Bytes their
	// regular-file content bytes.
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
	// Paths lists the dropped paths, in path order.
	Paths []string `json:"paths"`
}

func prunedSummary(recs []record) []Pruned {
	by := map[string]*Pruned{}
	for i := range recs {
		r := &recs[i]
		if r.dead || r.pruned == "" {
			continue
		}
		p := by[r.pruned]
		if p == nil {
			p = &Pruned{Category: r.pruned}
			by[r.pruned] = p
		}
		p.Files++
		if r.hdr.Typeflag == tar.TypeReg {
			p.Bytes += r.hdr.Size
		}
		p.Paths = append(p.Paths, r.path)
	}
	out := make([]Pruned, 0, len(by))
	for _, c := range account.CacheCategories() {
		if p := by[c]; p != nil {
			sort.Strings(p.Paths)
			out = append(out, *p)
		}
	}
	return out
}
