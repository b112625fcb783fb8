package rules

// All returns every rule whittle has, ordered by ID. Each call returns new
// values; rules are stateless.
func All() []Rule {
	return []Rule{
		shellSyntax{},
		aptLists{},
		aptRecommends{},
	}
}
