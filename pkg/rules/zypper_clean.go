package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// zypperClean is WH402: zypper install without zypper clean in the same RUN.
type zypperClean struct{}

func (zypperClean) Meta() Meta {
	return Meta{
		ID:       "WH402",
		Name:     "zypper-clean",
		Summary:  "zypper install without `zypper clean` in the same RUN leaves zypper's caches in /var/cache/zypp.",
		Hadolint: []string{"DL3036"},
		Severity: Warning,
		Doc:      "docs/rules/WH402.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "zypper-cache",
		Intent:   []string{"cache", "clean"},
	}
}

func (zypperClean) Check(p *Pass) []Finding {
	return rpmCheck{
		tools:    []string{"zypper"},
		installs: map[string]bool{"install": true, "in": true},
		clean: func(pk *shellfacts.PkgOp) bool {
			return pk.Verb == shellfacts.Clean
		},
		cleanCmd:  func(string) string { return "zypper clean --all" },
		cacheDirs: []string{"/var/cache/zypp"},
		fix:       "end the same RUN with `zypper clean --all`, or mount a cache on /var/cache/zypp",
	}.check(p)
}
