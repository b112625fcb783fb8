package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// Helpers shared by the WH2xx-WH5xx rules: apt subcommands, the stage
// chain (base image, earlier RUNs) and the rpm-family cache check.

// aptInstallVerbs download .deb archives and so need the lists.
var aptInstallVerbs = map[string]bool{
	"install": true, "upgrade": true, "dist-upgrade": true, "full-upgrade": true,
	"build-dep": true, "reinstall": true, "satisfy": true, "source": true, "download": true,
}

// stageChain returns the stage and the stages it is built FROM, nearest
// first. It is empty for instructions outside any stage.
func stageChain(s *dockerfile.Stage) []*dockerfile.Stage {
	var out []*dockerfile.Stage
	seen := map[*dockerfile.Stage]bool{}
	for ; s != nil && !seen[s]; s = s.BaseStage {
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// rootImage returns the external image a stage is ultimately built on
// ("" if unknown, "scratch" for scratch).
func rootImage(s *dockerfile.Stage) string {
	chain := stageChain(s)
	if len(chain) == 0 {
		return ""
	}
	return chain[len(chain)-1].Base
}

// officialRepo returns the repository of an image reference in Docker Hub's
// official namespace ("python" for "python:3.12-slim",
// "docker.io/library/python@sha256:...", "docker.io/python:3.12" or
// "index.docker.io/library/python"), or "" for other images.
func officialRepo(ref string) string {
	if ref == "" || strings.Contains(ref, "$") {
		return ""
	}
	r, err := name.ParseReference(strings.ToLower(ref))
	if err != nil || r.Context().RegistryStr() != name.DefaultRegistry {
		return ""
	}
	repo, ok := strings.CutPrefix(r.Context().RepositoryStr(), "library/")
	if !ok || strings.Contains(repo, "/") {
		return ""
	}
	return repo
}

// rpmCheck is the shared check of the rpm-family rules: every install by
// one of tools must be followed, in the same RUN, by a clean of the same
// tool or a removal of one of cacheDirs, unless a mount covers a cache dir.
type rpmCheck struct {
	tools []string
	// installs are the subcommands (as written) that fill the cache.
	installs map[string]bool
	// clean reports whether an operation of the same tool empties the
	// cache.
	clean     func(pk *shellfacts.PkgOp) bool
	cacheDirs []string
	// categoryDir is where the rule's cache category (Meta.Category,
	// account.CacheCategory) looks; a finding whose cache is elsewhere
	// names it in Paths, to be measured there.
	categoryDir string
	fix         string
	// cleanCmd is the command that empties the tool's cache.
	cleanCmd func(tool string) string
}

// rpmTools are the programs whose cache the rpm-family rules clean.
var rpmTools = map[string]tool{"yum": toolYum, "dnf": toolDnf, "microdnf": toolMdnf, "zypper": toolZyp}

// rpmOp returns the package operation of c when c runs tool.
func rpmOp(c command, tool string) *shellfacts.PkgOp {
	pk := c.pkg(shellfacts.Dnf, shellfacts.Yum, shellfacts.Microdnf, shellfacts.Zypper)
	if pk == nil || pk.Tool != tool {
		return nil
	}
	return pk
}

func (rc rpmCheck) check(p *Pass) []Finding {
	var out []Finding
	for _, ri := range p.runs() {
		if mountCovers(ri, rc.cacheDirs...) {
			continue
		}
		for _, tool := range rc.tools {
			for i, c := range ri.cmds {
				pk := rpmOp(c, tool)
				if pk == nil || !rc.installs[pk.RawVerb] {
					continue
				}
				if rc.cleanedAfter(ri, i, tool) {
					continue
				}
				dir := rpmCacheDir(tool, p.rootImage(ri.in.Stage), rc.cacheDirs[0])
				f := p.FindingAt(ri.rangeOf(c),
					tool+" "+pk.RawVerb+" leaves its metadata and package cache in "+dir+" in this layer",
					rc.fixFor(dir))
				f.Paths = cachePaths(dir, rc.categoryDir)
				cmd := rc.cleanCmd(tool)
				f.Repair, _ = p.cleanupRepair(ri, rpmTools[tool], func(c command) bool { return rpmOp(c, tool) != nil },
					"run "+cmd, cmd)
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// fixFor is the rule's fix for a cache at dir: rc.fix, with dir for its
// %s where it has one.
func (rc rpmCheck) fixFor(dir string) string {
	if strings.Contains(rc.fix, "%[1]s") {
		return fmt.Sprintf(rc.fix, dir)
	}
	return rc.fix
}

func (rc rpmCheck) cleanedAfter(ri *runInfo, i int, tool string) bool {
	// One rpmCheck per rule, each with its own tools.
	key := "rpm clean:" + strings.Join(rc.tools, ",") + ":" + tool
	if ri.lastWhere(key, func(c command) bool {
		pk := rpmOp(c, tool)
		return pk != nil && rc.clean(pk)
	}) > i {
		return true
	}
	for _, d := range rc.cacheDirs {
		if removedAfter(ri, i, d) {
			return true
		}
	}
	return false
}

// fedoraRelease matches a Fedora image and its release ("fedora:41").
var fedoraRelease = regexp.MustCompile(`(^|/)fedora(-minimal)?:([0-9]+)`)

// rpmCacheDir is where tool keeps its cache on base: microdnf in
// /var/cache/yum (UBI 8 and 9 alike), dnf 4 (RHEL, UBI, Rocky, Alma, older
// Fedora) in /var/cache/dnf, dnf 5 (Fedora 41 and later) in
// /var/cache/libdnf5; yum where it is dnf (yumIsDnf) where dnf keeps it;
// def for other tools.
func rpmCacheDir(tool, base, def string) string {
	switch tool {
	case "microdnf":
		return "/var/cache/yum"
	case "yum":
		if yumIsDnf(base) {
			return rpmCacheDir("dnf", base, def)
		}
	case "dnf":
		if m := fedoraRelease.FindStringSubmatch(strings.ToLower(base)); m != nil {
			if n, err := strconv.Atoi(m[3]); err == nil && n >= 41 {
				return "/var/cache/libdnf5"
			}
		}
		return "/var/cache/dnf"
	}
	return def
}

// ubiRelease matches a Red Hat UBI repository and its release
// ("ubi8/ubi", "ubi9-minimal", "ubi10/ubi-micro").
var ubiRelease = regexp.MustCompile(`(^|/)ubi([0-9]+)(-[a-z]+)?(/|:|$)`)

// yumIsDnf reports whether base is an image whose yum is dnf (a link to
// dnf-3 or dnf5 since RHEL 8 and in Fedora): UBI 8 and later, Fedora,
// Rocky and Alma Linux, CentOS Stream, Oracle Linux 8 and later, Amazon
// Linux 2023. Not for CentOS 7, UBI 7, Amazon Linux 2 or an image whose
// name says nothing.
func yumIsDnf(base string) bool {
	ref := strings.ToLower(base)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	repo, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, tag = ref[:i], ref[i+1:]
	}
	if m := ubiRelease.FindStringSubmatch(repo); m != nil {
		n, err := strconv.Atoi(m[2])
		return err == nil && n >= 8
	}
	major := func() int {
		d := tag
		if i := strings.IndexFunc(d, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			d = d[:i]
		}
		n, err := strconv.Atoi(d)
		if err != nil {
			return -1
		}
		return n
	}
	switch repo[strings.LastIndex(repo, "/")+1:] {
	case "fedora", "fedora-minimal", "rockylinux", "almalinux":
		return true
	case "centos":
		return strings.HasPrefix(tag, "stream")
	case "oraclelinux":
		return major() >= 8
	case "amazonlinux":
		return major() >= 2023
	}
	return false
}
