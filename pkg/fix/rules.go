package fix

import (
	"sort"
	"strings"
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
	}
}

// Rules returns the IDs of the rules Fix can repair, sorted.
func Rules() []string {
	seen := map[string]bool{}
	var ids []string
	for _, r := range allRepairers() {
		if !seen[r.rule] {
			seen[r.rule] = true
			ids = append(ids, r.rule)
		}
	}
	sort.Strings(ids)
	return ids
}

func knownRule(id string) bool {
	for _, r := range allRepairers() {
		if r.rule == strings.ToUpper(id) {
			return true
		}
	}
	return false
}
