package gate

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// DiveCIFile is the file dive reads its CI rules from by default.
const DiveCIFile = ".dive-ci"

// SourceDiveDefault marks a rule that takes dive's default setting.
const SourceDiveDefault = "dive default"

// DiveDefaults returns dive's rules when nothing sets them:
// lowestEfficiency 0.9, highestWastedBytes disabled,
// highestUserWastedPercent 0.1.
func DiveDefaults() []Rule {
	rules := make([]Rule, 0, 3)
	for _, kv := range [][2]string{
		{NameLowestEfficiency, "0.9"},
		{NameHighestWastedBytes, "disabled"},
		{NameHighestUserWastedPercent, "0.1"},
	} {
		r, err := ParseRule(kv[0], kv[1], SourceDiveDefault)
		if err != nil { // constant settings: cannot happen
			continue
		}
		rules = append(rules, r)
	}
	return rules
}

// diveKeys maps every key dive accepts to the rule name. Classic files
// write camelCase keys under "rules:"; newer dive versions also read the
// kebab-case names.
var diveKeys = map[string]string{
	"lowestEfficiency":            NameLowestEfficiency,
	"highestWastedBytes":          NameHighestWastedBytes,
	"highestUserWastedPercent":    NameHighestUserWastedPercent,
	"lowest-efficiency-threshold": NameLowestEfficiency,
	"highest-wasted-bytes":        NameHighestWastedBytes,
	"highest-user-wasted-percent": NameHighestUserWastedPercent,
}

// ReadDiveCI reads and parses a .dive-ci file.
func ReadDiveCI(path string) ([]Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading dive CI config: %w", err)
	}
	return ParseDiveCI(path, b)
}

// ParseDiveCI parses a .dive-ci file the way dive does:
//
//	rules:
//	  lowestEfficiency: 0.95
//	  highestWastedBytes: 20MB
//	  highestUserWastedPercent: 0.20
//
// Every value is read as the text written (so 0.95 and "0.95" are the same),
// a rule the file does not mention takes dive's default (see DiveDefaults),
// and "disabled" turns a rule off. Unknown keys under rules are an error
// (dive would ignore a misspelt rule silently), except a plugin's rules
// ("plugin1/rule1"), which are ignored as dive ignores them without the
// plugin; other top-level keys are ignored. path is used for messages and as each rule's Source.
func ParseDiveCI(path string, b []byte) ([]Rule, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	set := map[string]string{} // rule name -> setting
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("parsing %s: %w: want a mapping with a rules: section", path, ErrInvalidRule)
		}
		var errs []error
		scan := func(m *yaml.Node, strict bool) {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				name, ok := diveKeys[k.Value]
				switch {
				case ok && v.Kind == yaml.ScalarNode:
					set[name] = v.Value
				case ok:
					errs = append(errs, fmt.Errorf("%s:%d: %w: %s must be a single value", path, v.Line, ErrInvalidRule, k.Value))
				case strict && strings.Contains(k.Value, "/"):
					// A plugin's rule ("plugin1/rule1"): dive hands it to
					// the plugin; whittle has none, and ignores it as dive
					// does a plugin that is not loaded.
				case strict:
					errs = append(errs, fmt.Errorf("%s:%d: %w: unknown rule %q", path, k.Line, ErrInvalidRule, k.Value))
				}
			}
		}
		scan(root, false)
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value != "rules" {
				continue
			}
			v := root.Content[i+1]
			switch {
			case v.Kind == yaml.MappingNode:
				scan(v, true)
			case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			default:
				errs = append(errs, fmt.Errorf("%s:%d: %w: rules must be a mapping", path, v.Line, ErrInvalidRule))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	rules := DiveDefaults()
	var errs []error
	for i, r := range rules {
		setting, ok := set[r.Name]
		if !ok {
			continue
		}
		nr, err := ParseRule(r.Name, setting, path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		rules[i] = nr
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rules, nil
}
