package rules

import "strings"

// aptClean is WH203: apt installs on a base that keeps downloaded .deb
// files, without apt-get clean in the same RUN.
type aptClean struct{}

func (aptClean) Meta() Meta {
	return Meta{
		ID:       "WH203",
		Name:     "apt-archives-not-cleaned",
		Summary:  "On a base without docker-clean, apt keeps every downloaded .deb in /var/cache/apt/archives unless the same RUN runs apt-get clean.",
		Severity: Warning,
		Doc:      "docs/rules/WH203.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "apt-archives",
		Intent:   []string{"apt-get clean", "archives", ".deb", "pkgcache", "package cache"},
	}
}

const aptArchivesDir = "/var/cache/apt/archives"

// autoCleanRepos are official images known to ship
// /etc/apt/apt.conf.d/docker-clean, directly or through their debian or
// ubuntu base. Every Debian-based image of Docker Hub's official library is
// built FROM debian or ubuntu, so any official repository counts.
var autoCleanPrefixes = []string{
	"mcr.microsoft.com/dotnet/", // built FROM debian/ubuntu official images
	"nvidia/cuda",               // built FROM ubuntu official images
	"gcr.io/distroless/",        // no apt at all
	"cgr.dev/chainguard/",       // no apt at all
}

// autoCleans reports whether the base is known to delete downloaded .deb
// files after every install; unknown (unexpanded) bases count as cleaning,
// so that the rule stays quiet when it cannot know.
func autoCleans(base string) bool {
	if base == "" || strings.Contains(base, "$") {
		return true
	}
	if officialRepo(base) != "" && officialRepo(base) != "scratch" {
		return true
	}
	for _, p := range autoCleanPrefixes {
		if strings.HasPrefix(strings.ToLower(base), p) {
			return true
		}
	}
	return false
}

// aptCacheVerbs fill /var/cache/apt on a base without docker-clean: those
// that download .deb files into archives/, and every operation that reads
// the lists, which (re)builds pkgcache.bin and srcpkgcache.bin there.
var aptCacheVerbs = map[string]bool{
	"update": true, "install": true, "upgrade": true, "dist-upgrade": true, "full-upgrade": true,
	"build-dep": true, "reinstall": true, "satisfy": true, "download": true, "source": true,
}

func (aptClean) Check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if ri.in.Stage == nil || mountCovers(ri, aptArchivesDir) || mountCovers(ri, "/var/cache/apt") {
			continue
		}
		base := p.rootImage(ri.in.Stage)
		if autoCleans(base) && !p.dockerCleanRemoved(ri) {
			continue
		}
		for i, c := range ri.cmds {
			v := aptVerb(c)
			if !aptCacheVerbs[v] {
				continue
			}
			if aptCleanAfter(ri, i) || removedAfter(ri, i, "/var/cache/apt") {
				break
			}
			what := "every .deb this " + c.Name + " " + v + " fetches stays in /var/cache/apt/archives, next to the package caches /var/cache/apt/*.bin"
			switch v {
			case "update":
				what = c.Name + " update leaves the package caches /var/cache/apt/pkgcache.bin and srcpkgcache.bin (tens of MB) in this layer"
			case "download", "source":
				what = c.Name + " " + v + " leaves the package caches /var/cache/apt/pkgcache.bin and srcpkgcache.bin (tens of MB) in this layer"
			}
			f := p.FindingAt(ri.rangeOf(c),
				"the base image ("+base+") is not known to clean apt's cache: "+what,
				"end the same RUN with `apt-get clean` (or mount a cache on /var/cache/apt)")
			f.Repair = p.appendRepair(ri, "run apt-get clean at the end of the RUN", ri.shell().sudoFor("apt-get", "apt")+"apt-get clean")
			out = append(out, f)
			break
		}
	}
	return out
}

// aptCleanAfter reports whether apt-get clean (or apt clean) runs after i.
func aptCleanAfter(ri *runInfo, i int) bool {
	return ri.lastWhere("apt clean", func(c command) bool {
		v := aptVerb(c)
		return v == "clean" || v == "distclean"
	}) > i
}

// dockerCleanRemoved reports whether this RUN or an earlier one of its
// stage chain removes /etc/apt/apt.conf.d/docker-clean (or sets
// Keep-Downloaded-Packages), undoing the base's auto-clean.
func (p *Pass) dockerCleanRemoved(ri *runInfo) bool {
	return p.cmdIndex("docker-clean removed", func(c command) bool {
		if removes(c, "/etc/apt/apt.conf.d/docker-clean") {
			return true
		}
		return (c.Name == "echo" || c.Name == "printf") && strings.Contains(strings.Join(c.Args, " "), "Keep-Downloaded-Packages") &&
			strings.Contains(strings.Join(c.Args, " "), "true")
	}).before(ri, len(ri.cmds))
}
