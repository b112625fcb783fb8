package cli

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/fix"
	"github.com/whittle/whittle/pkg/rules"
	"github.com/whittle/whittle/pkg/squash"
)

// choice is one completion candidate and what the shell shows beside it.
type choice struct{ value, desc string }

// choiceDescriptions describe the values of choice flags, where a word
// helps; a value without one is offered bare.
var choiceDescriptions = map[string]string{
	"text":     "for people",
	"json":     "every item, documented schema",
	"html":     "one self-contained page with charts",
	"markdown": "for a pull-request comment",
	"sarif":    "SARIF 2.1.0, for code scanning",
	"none":     "never exit 1 for a finding",
	"gzip":     "any image",
	"zstd":     "OCI images only",
}

// choiceFlags are the flags that take one of a few words, which their
// usage lists after the placeholder (see usageChoices).
var choiceFlags = []string{"format", "fail-level", "compression"}

// registerCompletions makes shell completion (whittle completion SHELL)
// offer the values whittle knows for the flags that take them: each
// command's --format, lint's --fail-level and squash's --compression (the
// words their usage lists), squash's --prune cache categories, the rule IDs
// of lint's and fix's --rule and --skip and of lint's hadolint flags
// (--ignore, --error, --warning, --info, --style; with the rule's name),
// lint's --failure-threshold levels, and analyze's --target (the stages of
// the --dockerfile given).
func registerCompletions(root *cobra.Command) {
	for _, cmd := range root.Commands() {
		fl := cmd.Flags()
		register := func(name string, fn cobra.CompletionFunc) {
			if fl.Lookup(name) != nil {
				// Fails only for an unknown or doubly registered flag.
				_ = cmd.RegisterFlagCompletionFunc(name, fn)
			}
		}
		for _, name := range choiceFlags {
			if f := fl.Lookup(name); f != nil {
				register(name, completeOne(usageChoices(f)))
			}
		}
		switch cmd.Name() {
		case "squash":
			register("prune", completeList(pruneChoices()))
		case "lint":
			// hadolint's --ignore and severity flags take rule IDs too.
			for _, name := range append([]string{"rule", "skip", "ignore"}, hadolintSeverityFlags...) {
				register(name, completeList(ruleChoices(nil)))
			}
			register("failure-threshold", completeOne(failureThresholdChoices))
		case "fix":
			register("rule", completeList(ruleChoices(fix.Rules())))
			register("skip", completeList(ruleChoices(fix.Rules())))
		case "analyze":
			register("target", completeTarget)
		}
	}
}

// failureThresholdChoices are hadolint's --failure-threshold levels.
var failureThresholdChoices = []choice{
	{"error", ""}, {"warning", ""}, {"info", ""},
	{"style", "as info"}, {"ignore", "fail on any finding"}, {"none", "fail on any finding"},
}

// usageChoices reads the words a choice flag takes from its usage: the
// list after its last colon, up to a parenthesis ("output `FORMAT`: text,
// json, or html (one page)"), so that completion offers what --help says.
func usageChoices(f *pflag.Flag) []choice {
	list, _, _ := strings.Cut(f.Usage, "(")
	i := strings.LastIndex(list, ": ")
	if i < 0 {
		return nil
	}
	list = list[i+2:]
	var out []choice
	for _, w := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if w != "or" && w != "and" {
			out = append(out, choice{w, choiceDescriptions[w]})
		}
	}
	return out
}

// pruneChoices are squash --prune's words: every category, or one.
func pruneChoices() []choice {
	out := []choice{{squash.PruneAll, "every cache category"}}
	for _, c := range squash.PruneCategories() {
		out = append(out, choice{c, "cache category"})
	}
	return out
}

// ruleChoices are the rule IDs, with their names: whittle's, then the
// hadolint IDs they implement; only those of the rules in only when it is
// not nil.
func ruleChoices(only []string) []choice {
	var ids, dl []choice
	for _, m := range rules.Metas() {
		if only != nil && !slices.Contains(only, m.ID) {
			continue
		}
		ids = append(ids, choice{m.ID, m.Name})
		for _, h := range m.Hadolint {
			dl = append(dl, choice{h, m.ID + " " + m.Name})
		}
	}
	slices.SortFunc(dl, func(a, b choice) int { return strings.Compare(a.value, b.value) })
	return append(ids, dl...)
}

// completeOne offers the choices that start with what is typed.
func completeOne(choices []choice) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return matching(choices, "", toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeList completes the last item of a comma-separated list (a
// string-slice flag), leaving out the items already given.
func completeList(choices []choice) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		i := strings.LastIndexByte(toComplete, ',')
		prefix, last := toComplete[:i+1], toComplete[i+1:]
		given := strings.Split(strings.ToUpper(prefix), ",")
		return matching(choices, prefix, last, given), cobra.ShellCompDirectiveNoFileComp
	}
}

// matching returns prefix+value for the choices whose value starts with
// typed (in any case) and is not in given (upper-cased), with their
// descriptions. Hadolint IDs are offered only once "DL" is typed, so that
// an empty word lists whittle's rules alone.
func matching(choices []choice, prefix, typed string, given []string) []cobra.Completion {
	var out []cobra.Completion
	for _, c := range choices {
		if !strings.HasPrefix(strings.ToUpper(c.value), strings.ToUpper(typed)) || slices.Contains(given, strings.ToUpper(c.value)) {
			continue
		}
		if strings.HasPrefix(c.value, "DL") && !strings.HasPrefix(strings.ToUpper(typed), "DL") {
			continue
		}
		out = append(out, cobra.CompletionWithDesc(prefix+c.value, c.desc))
	}
	return out
}

// completeTarget offers the stages of the Dockerfile that --dockerfile
// names, by name and by index, each with its base.
func completeTarget(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path, err := cmd.Flags().GetString("dockerfile")
	if err != nil || path == "" || path == "-" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	f, err := dockerfile.Parse(path, src)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var choices []choice
	for _, st := range f.Stages {
		base := "FROM " + st.Base
		if st.Name != "" {
			choices = append(choices, choice{st.Name, fmt.Sprintf("stage %d, %s", st.Index, base)})
		}
		choices = append(choices, choice{strconv.Itoa(st.Index), base})
	}
	return matching(choices, "", toComplete, nil), cobra.ShellCompDirectiveNoFileComp
}
