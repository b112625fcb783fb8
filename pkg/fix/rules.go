package fix

import (
	"strings"

	"github.com/whittle/whittle/pkg/rules"
)

// repairer finds the repairs of one rule in a parsed file.
type repairer struct {
	rule string
	find func(p *pass) []repair
}

// allRepairers returns the repairers in the order they run in every pass;
// earlier ones win overlaps, and insertions at the same offset keep this
// order (apt-get clean before rm -rf /var/lib/apt/lists/*).
func allRepairers() []repairer {
	return []repairer{
		{"WH101", mergeRuns},
		{"WH101", buildDeps},
		{"WH102", copyChown},
		{"WH105", localArchiveAdd},
		{"WH603", addToCopy},
		{"WH605", useraddNoLog},
		{"WH701", baseImage},
		{"WH202", aptRecommends},
		{"WH301", apkNoCache},
		{"WH501", pipNoCache},
		{"WH504", gemNoDocument},
		{"WH203", aptClean},
		{"WH201", aptLists},
		{"WH401", yumClean},
		{"WH402", zypperClean},
		{"WH403", dnfClean},
		{"WH502", npmCacheClean},
		{"WH503", yarnCacheClean},
		{"WH505", goCache},
		{"WH602", archiveLeft},
		{"WH601", tmpFiles},
	}
}

// Rules returns the IDs of the rules Fix can repair, sorted.
func Rules() []string {
	return []string{"WH101", "WH102", "WH103", "WH105", "WH201", "WH202", "WH203", "WH204",
		"WH301", "WH401", "WH402", "WH403", "WH501", "WH502", "WH503", "WH504", "WH505", "WH601", "WH602", "WH603", "WH605", "WH701"}
}

// resolveID maps a whittle or hadolint rule ID to the whittle IDs that
// have a repair; nil when none has.
func resolveID(id string) []string {
	var out []string
	for _, r := range Rules() {
		if r == id {
			return []string{r}
		}
	}
	for _, r := range rules.All() {
		m := r.Meta()
		for _, h := range m.Hadolint {
			if strings.EqualFold(h, id) {
				for _, w := range Rules() {
					if w == m.ID {
						out = append(out, w)
					}
				}
			}
		}
	}
	return out
}
