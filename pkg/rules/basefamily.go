package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/shellfacts"
)

// pkgFamily is the package-manager family of a base image or a command.
type pkgFamily string

const (
	famUnknown pkgFamily = ""
	famApt     pkgFamily = "apt"      // Debian, Ubuntu: apt, apt-get, dpkg
	famApk     pkgFamily = "apk"      // Alpine, Wolfi
	famRPM     pkgFamily = "dnf/yum"  // RHEL family: dnf, yum, microdnf, rpm
	famNone    pkgFamily = "no shell" // scratch, distroless: nothing to run
)

// debianCodenames are tag words of docker-library Debian and Ubuntu
// variants ("python:3.12-slim-bookworm", "ruby:3-jammy").
var debianCodenames = map[string]bool{
	"slim": true, "stretch": true, "buster": true, "bullseye": true, "bookworm": true, "trixie": true,
	"bionic": true, "focal": true, "jammy": true, "noble": true,
}

// imageFamily guesses the package-manager family of an image reference
// from its name alone; famUnknown when the name says nothing certain.
func imageFamily(ref string) pkgFamily {
	ref = strings.ToLower(ref)
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	repo, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, tag = ref[:i], ref[i+1:]
	}
	if repo == "scratch" || strings.Contains(repo, "/distroless/") || strings.HasPrefix(repo, "distroless/") {
		return famNone
	}
	last := repo[strings.LastIndex(repo, "/")+1:]
	switch last {
	case "alpine", "wolfi-base":
		return famApk
	case "debian", "ubuntu", "buildpack-deps":
		return famApt
	case "fedora", "centos", "rockylinux", "almalinux", "oraclelinux", "amazonlinux",
		"ubi", "ubi-minimal", "ubi8", "ubi9", "ubi10", "ubi8-minimal", "ubi9-minimal", "ubi10-minimal":
		return famRPM
	}
	for _, w := range strings.FieldsFunc(tag, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		switch {
		case strings.HasPrefix(w, "alpine"): // "alpine", "alpine3" (from "alpine3.20")
			return famApk
		case debianCodenames[w]:
			return famApt
		}
	}
	return famUnknown
}

// commandFamily is the family a command belongs to (famUnknown for
// commands of no distribution package manager).
func commandFamily(cmd *shellfacts.Command) pkgFamily {
	if cmd.Pkg != nil {
		switch cmd.Pkg.Manager {
		case shellfacts.Apt:
			return famApt
		case shellfacts.Apk:
			return famApk
		case shellfacts.Dnf, shellfacts.Yum, shellfacts.Microdnf:
			return famRPM
		}
	}
	switch cmd.Name {
	case "apt", "apt-get", "aptitude", "dpkg", "dpkg-reconfigure", "apt-key", "add-apt-repository":
		return famApt
	case "apk":
		return famApk
	case "dnf", "yum", "microdnf", "rpm":
		return famRPM
	}
	return famUnknown
}

// baseMismatch says, for a switch of the final stage's base to ref, when
// ref has another package manager than the RUNs of that stage (and of the
// stages it builds on) call: "alpine:3.20 (apk), but the RUN at line 3
// uses apt-get: port it before building". It returns "" when the families
// agree or the new base's family is unknown.
func baseMismatch(f *dockerfile.File, ref string) string {
	fam := imageFamily(ref)
	if fam == famUnknown || f.Target == nil {
		return ""
	}
	var chain []*dockerfile.Stage
	for st := f.Target; st != nil; st = st.BaseStage {
		chain = append(chain, st)
	}
	root := chain[len(chain)-1]
	if root.From == nil {
		return ""
	}
	var lines []int
	tools := map[string]bool{}
	for _, st := range chain {
		for _, in := range st.Instructions {
			if in.Kind != dockerfile.KindRun {
				continue
			}
			fs, err := shellfacts.OfRun(in)
			if err != nil || fs == nil {
				continue
			}
			hit := false
			for _, cmd := range fs.Commands {
				if cf := commandFamily(cmd); cf != famUnknown && cf != fam {
					hit = true
					tools[cmd.Name] = true
				}
			}
			if hit {
				lines = append(lines, in.Range.Start.Line)
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	sort.Ints(lines)
	ls := make([]string, len(lines))
	for i, l := range lines {
		ls[i] = fmt.Sprint(l)
	}
	names := make([]string, 0, len(tools))
	for t := range tools {
		names = append(names, t)
	}
	sort.Strings(names)
	what, them := "RUNs at lines "+strings.Join(ls, ", ")+" use ", "them"
	if len(lines) == 1 {
		what, them = "the RUN at line "+ls[0]+" uses ", "it"
	}
	return fmt.Sprintf("%s (%s), but %s%s: port %s before building", ref, fam, what, strings.Join(names, ", "), them)
}
