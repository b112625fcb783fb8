package rules

import "github.com/whittle/whittle/pkg/shellfacts"

// yumClean is WH401: yum install without yum clean all in the same RUN.
type yumClean struct{}

func (yumClean) Meta() Meta {
	return Meta{
		ID:       "WH401",
		Name:     "yum-clean",
		Summary:  "yum install without `yum clean all` in the same RUN leaves yum's metadata and package cache in /var/cache/yum.",
		Hadolint: []string{"DL3032"},
		Severity: Warning,
		Doc:      "docs/rules/WH401.md",
		Repair:   Safe,
		Measure:  MeasureCache,
		Category: "yum-cache",
		Intent:   []string{"cache", "clean"},
	}
}

func (yumClean) Check(p *Pass) []Finding {
	return rpmCheck{
		tools:    []string{"yum"},
		installs: map[string]bool{"install": true, "groupinstall": true, "localinstall": true, "reinstall": true},
		clean: func(pk *shellfacts.PkgOp) bool {
			return pk.Verb == shellfacts.Clean && pk.All
		},
		cleanCmd:    func(string) string { return "yum clean all" },
		cacheDirs:   []string{"/var/cache/yum", "/var/cache/dnf"},
		categoryDir: "/var/cache/yum",
		// %s: where yum keeps its cache on the base (rpmCacheDir).
		fix: "end the same RUN with `yum clean all` (or `rm -rf %[1]s`), or mount a cache on %[1]s",
	}.check(p)
}
