package account

import (
	"strings"

	"github.com/whittle/whittle/pkg/fstree"
)

// Documentation and locale categories, in report order, and the exact
// paths each covers (relative to the root; "**" is any depth). Only
// visible regular files count; a file reached by several names (hard
// links) counts once.
//
//	doc     usr/share/doc/**, usr/local/share/doc/**, usr/share/gtk-doc/**
//	man     usr/share/man/**, usr/local/share/man/**, usr/local/man/**
//	info    usr/share/info/**, usr/local/share/info/**
//	locale  usr/share/locale/**, usr/local/share/locale/**,
//	        usr/lib/locale/**, usr/share/i18n/**
//
// Symlinks are never followed: a file reached only through a symlinked
// directory counts where it is stored.
var docCategories = []string{"doc", "man", "info", "locale"}

// docDirs maps each directory of a documentation or locale category to
// its category.
var docDirs = []struct{ dir, category string }{
	{"usr/share/doc/", "doc"},
	{"usr/local/share/doc/", "doc"},
	{"usr/share/gtk-doc/", "doc"},
	{"usr/share/man/", "man"},
	{"usr/local/share/man/", "man"},
	{"usr/local/man/", "man"},
	{"usr/share/info/", "info"},
	{"usr/local/share/info/", "info"},
	{"usr/share/locale/", "locale"},
	{"usr/local/share/locale/", "locale"},
	{"usr/lib/locale/", "locale"},
	{"usr/share/i18n/", "locale"},
}

// DocCategories returns every name DocCategory can return, in report
// order (the order of Report.Docs). The slice is the caller's.
func DocCategories() []string { return append([]string(nil), docCategories...) }

// DocCategory returns the documentation or locale category of a path
// (relative to the root, no leading slash), or "" when the path is in
// none: "doc" (package documentation: /usr/share/doc, gtk-doc), "man"
// (manual pages), "info" (info manuals), "locale" (message translations,
// compiled locales and their sources).
func DocCategory(p string) string {
	if !strings.HasPrefix(p, "usr/") {
		return ""
	}
	for _, d := range docDirs {
		if strings.HasPrefix(p, d.dir) {
			return d.category
		}
	}
	return ""
}

// docs sums visible files by documentation and locale category.
func docs(files []fstree.File, tree *fstree.Tree) []DocBytes {
	cs := categorize(files, tree, DocCategory, docCategories)
	out := make([]DocBytes, len(cs))
	for i, c := range cs {
		out[i] = DocBytes(c)
	}
	return out
}
