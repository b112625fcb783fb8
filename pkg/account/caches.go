package account

import (
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/fstree"
)

// Cache categories, in report order, and the exact paths each covers
// (relative to the root; "*" is one path component; "**" any depth).
// Only visible regular files count; a file reached by several names
// (hard links) counts once.
//
//	apt-lists       var/lib/apt/lists/**          (not the lock file)
//	apt-archives    var/cache/apt/archives/**.deb, var/cache/apt/*.bin
//	apk-cache       var/cache/apk/**
//	pip-cache       root/.cache/pip/**, home/*/.cache/pip/**
//	npm-cache       root/.npm/**, home/*/.npm/**
//	yarn-cache      usr/local/share/.cache/yarn/**, root/.cache/yarn/**, home/*/.cache/yarn/**
//	gem-cache       usr/local/bundle/cache/*.gem, var/lib/gems/*/cache/*.gem,
//	                usr/local/lib/ruby/gems/*/cache/*.gem
//	go-build-cache  root/.cache/go-build/**, home/*/.cache/go-build/**
//	dnf-cache       var/cache/dnf/**
//	yum-cache       var/cache/yum/**
//	zypper-cache    var/cache/zypp/**
//	tmp             tmp/**, var/tmp/**
var cacheCategories = []string{
	"apt-lists", "apt-archives", "apk-cache", "pip-cache", "npm-cache", "yarn-cache",
	"gem-cache", "go-build-cache", "dnf-cache", "yum-cache", "zypper-cache", "tmp",
}

// CacheCategories returns every name CacheCategory can return, in report
// order (the order of Report.Caches). The slice is the caller's.
func CacheCategories() []string { return append([]string(nil), cacheCategories...) }

// CacheCategory returns the cache category of a path (relative to the
// root, no leading slash), or "" when the path is in no known cache.
func CacheCategory(p string) string {
	switch {
	case strings.HasPrefix(p, "var/lib/apt/lists/"):
		if p == "var/lib/apt/lists/lock" {
			return ""
		}
		return "apt-lists"
	case strings.HasPrefix(p, "var/cache/apt/"):
		rest := p[len("var/cache/apt/"):]
		if strings.HasPrefix(rest, "archives/") && strings.HasSuffix(rest, ".deb") {
			return "apt-archives"
		}
		if !strings.Contains(rest, "/") && strings.HasSuffix(rest, ".bin") {
			return "apt-archives"
		}
		return ""
	case strings.HasPrefix(p, "var/cache/apk/"):
		return "apk-cache"
	case strings.HasPrefix(p, "var/cache/dnf/"):
		return "dnf-cache"
	case strings.HasPrefix(p, "var/cache/yum/"):
		return "yum-cache"
	case strings.HasPrefix(p, "var/cache/zypp/"):
		return "zypper-cache"
	case strings.HasPrefix(p, "tmp/"), strings.HasPrefix(p, "var/tmp/"):
		return "tmp"
	case strings.HasPrefix(p, "usr/local/share/.cache/yarn/"):
		return "yarn-cache"
	case strings.HasPrefix(p, "usr/local/bundle/cache/"):
		if isGem(p[len("usr/local/bundle/cache/"):]) {
			return "gem-cache"
		}
		return ""
	case strings.HasPrefix(p, "var/lib/gems/"), strings.HasPrefix(p, "usr/local/lib/ruby/gems/"):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, "var/lib/gems/"), "usr/local/lib/ruby/gems/")
		// VERSION/cache/NAME.gem
		parts := strings.Split(rest, "/")
		if len(parts) == 3 && parts[1] == "cache" && isGem(parts[2]) {
			return "gem-cache"
		}
		return ""
	}
	// Per-user caches: root/... and home/USER/...
	var rest string
	switch {
	case strings.HasPrefix(p, "root/"):
		rest = p[len("root/"):]
	case strings.HasPrefix(p, "home/"):
		_, r, ok := strings.Cut(p[len("home/"):], "/")
		if !ok {
			return ""
		}
		rest = r
	default:
		return ""
	}
	switch {
	case strings.HasPrefix(rest, ".cache/pip/"):
		return "pip-cache"
	case strings.HasPrefix(rest, ".npm/"):
		return "npm-cache"
	case strings.HasPrefix(rest, ".cache/yarn/"):
		return "yarn-cache"
	case strings.HasPrefix(rest, ".cache/go-build/"):
		return "go-build-cache"
	}
	return ""
}

func isGem(name string) bool {
	return !strings.Contains(name, "/") && strings.HasSuffix(name, ".gem")
}

// caches sums visible files by cache category; files are in path order,
// and a file with several names counts once, at its first.
func caches(files []fstree.File, tree *fstree.Tree) []Cache {
	return categorize(files, tree, CacheCategory, cacheCategories)
}

// categorize sums the visible files that category puts in a category, in
// the order given (categories without a file left out). A file with
// several names counts once in a category.
func categorize(files []fstree.File, tree *fstree.Tree, category func(string) string, order []string) []Cache {
	type acc struct {
		c      Cache
		layers map[int]int64
	}
	type counted struct {
		inode    int
		category string
	}
	by := map[string]*acc{}
	seen := map[counted]bool{}
	for _, f := range files {
		cat := category(f.Path)
		if cat == "" {
			continue
		}
		k := counted{f.Inode, cat}
		if seen[k] {
			continue
		}
		seen[k] = true
		in := tree.Inode(f.Inode)
		a := by[cat]
		if a == nil {
			a = &acc{c: Cache{Category: cat}, layers: map[int]int64{}}
			by[cat] = a
		}
		a.c.Bytes += in.Size
		a.c.Files++
		a.layers[int(in.Layer)] += in.Size
	}
	out := []Cache{}
	for _, cat := range order {
		a := by[cat]
		if a == nil {
			continue
		}
		a.c.Layers = make([]LayerBytes, 0, len(a.layers))
		for l, b := range a.layers {
			a.c.Layers = append(a.c.Layers, LayerBytes{Layer: l, Bytes: b})
		}
		sort.Slice(a.c.Layers, func(i, j int) bool { return a.c.Layers[i].Layer < a.c.Layers[j].Layer })
		out = append(out, a.c)
	}
	return out
}
