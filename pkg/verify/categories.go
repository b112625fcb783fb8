package verify

import (
	"strings"

	"github.com/whittle/whittle/pkg/account"
)

// Kinds of known category (Category.Kind).
const (
	KindCache          = "cache"
	KindDocumentation  = "documentation"
	KindPackageManager = "package-manager"
)

// Package-manager categories: the databases and logs a package manager
// keeps about what it installed, which a program of the image does not run
// or read to do its work (relative to the root; "**" is any depth). They
// change whenever a RUN that installs is rebuilt (logs carry the time) and
// shrink when a repair installs fewer packages; the files of those
// packages themselves are outside every category.
//
//	dpkg      var/lib/dpkg/**, var/log/dpkg.log, var/log/alternatives.log,
//	          var/cache/debconf/**
//	apt       var/lib/apt/**, var/cache/apt/**, var/log/apt/**
//	          (beyond the apt-lists and apt-archives caches)
//	apk       lib/apk/db/**, var/lib/apk/**
//	rpm       var/lib/rpm/**, usr/lib/sysimage/rpm/**, var/lib/dnf/**,
//	          var/lib/yum/**, var/log/dnf.log, var/log/dnf.librepo.log,
//	          var/log/dnf.rpm.log, var/log/hawkey.log, var/log/yum.log
//	ldconfig  var/cache/ldconfig/** (ldconfig's auxiliary cache, rewritten
//	          by the package manager's triggers with the files' inode
//	          numbers and times)
var packageManagerCategories = []string{"dpkg", "apt", "apk", "rpm", "ldconfig"}

var pmDirs = []struct{ dir, category string }{
	{"var/lib/dpkg/", "dpkg"},
	{"var/cache/debconf/", "dpkg"},
	{"var/lib/apt/", "apt"},
	{"var/cache/apt/", "apt"},
	{"var/log/apt/", "apt"},
	{"lib/apk/db/", "apk"},
	{"var/lib/apk/", "apk"},
	{"var/lib/rpm/", "rpm"},
	{"usr/lib/sysimage/rpm/", "rpm"},
	{"var/lib/dnf/", "rpm"},
	{"var/lib/yum/", "rpm"},
	{"var/cache/ldconfig/", "ldconfig"},
}

var pmFiles = map[string]string{
	"var/log/dpkg.log":         "dpkg",
	"var/log/alternatives.log": "dpkg",
	"var/log/dnf.log":          "rpm",
	"var/log/dnf.librepo.log":  "rpm",
	"var/log/dnf.rpm.log":      "rpm",
	"var/log/hawkey.log":       "rpm",
	"var/log/yum.log":          "rpm",
}

// PackageManagerCategories returns every name PackageManagerCategory can
// return. The slice is the caller's.
func PackageManagerCategories() []string {
	return append([]string(nil), packageManagerCategories...)
}

// PackageManagerCategory returns the package-manager category of a path
// (relative to the root, no leading slash), or "" when it is in none.
func PackageManagerCategory(p string) string {
	if c, ok := pmFiles[p]; ok {
		return c
	}
	for _, d := range pmDirs {
		if strings.HasPrefix(p, d.dir) {
			return d.category
		}
	}
	return ""
}

// Classify returns the known category of a path (absolute or relative to
// the root) whose loss or change cannot change what the image runs: its
// kind (KindCache, KindDocumentation, KindPackageManager) and name
// (account.CacheCategory's, account.DocCategory's or
// PackageManagerCategory's), checked in that order; "", "" when it is in
// none. dir says the path is a directory (on either side): a directory is
// in a category when what it holds is, so that removing
// /var/lib/apt/lists whole counts as apt-lists.
func Classify(p string, dir bool) (kind, name string) {
	p = strings.TrimPrefix(p, "/")
	if dir {
		p += "/"
	}
	if c := account.CacheCategory(p); c != "" {
		return KindCache, c
	}
	if c := account.DocCategory(p); c != "" {
		return KindDocumentation, c
	}
	if c := PackageManagerCategory(p); c != "" {
		return KindPackageManager, c
	}
	return "", ""
}
