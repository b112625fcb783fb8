package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// dnfClean is WH403: dnf or microdnf install without `clean all` of the same
// tool in the same RUN.
type dnfClean struct{}

func (dnfClean) Meta() Meta {
	return Meta{
		ID:       "WH403",
		Name:     "dnf-clean",
		Summary:  "dnf or microdnf install without `dnf clean all` (or `microdnf clean all`) in the same RUN leaves the metadata and package cache in the layer.",
		Hadolint: []string{"DL3040"},
		Severity: Warning,
		Doc:      "docs/rules/WH403.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "dnf-cache",
		Intent:   []string{"cache", "clean"},
	}
}

func (dnfClean) Check(p *Pass) []Finding {
	return rpmCheck{
		tools: []string{"dnf", "microdnf"},
		installs: map[string]bool{"install": true, "in": true, "upgrade": true, "up": true, "update": true,
			"upgrade-minimal": true, "up-min": true, "reinstall": true, "rei": true, "groupinstall": true, "distro-sync": true},
		clean: func(pk *shellfacts.PkgOp) bool {
			return pk.Verb == shellfacts.Clean && pk.All
		},
		cleanCmd:    func(tool string) string { return tool + " clean all" },
		cacheDirs:   []string{"/var/cache/libdnf5", "/var/cache/dnf", "/var/cache/yum"},
		categoryDir: "/var/cache/dnf",
		fix:         "end the same RUN with `dnf clean all` (`microdnf clean all`), or mount a cache on /var/cache/libdnf5 (dnf5) or /var/cache/dnf",
	}.check(p)
}
