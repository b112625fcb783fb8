package shellfacts

import "strings"

// opt is one option as written: Name is "-y" or "--yes" (combined short
// options are split: "-yq" gives "-y" and "-q").
type opt struct {
	Name     string
	Value    string
	HasValue bool
}

// spec says which options take a value: short letters and long names
// (with their dashes).
type spec struct {
	short string
	long  map[string]bool
}

func longs(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// scan splits args into options and operands, GNU style: options and
// operands may be mixed; "--" ends options.
func scan(args []string, sp spec) (opts []opt, operands []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands = append(operands, args[i+1:]...)
			return
		case strings.HasPrefix(a, "--"):
			name, val, ok := strings.Cut(a, "=")
			if !ok && sp.long[name] && i+1 < len(args) {
				i++
				val, ok = args[i], true
			}
			opts = append(opts, opt{Name: name, Value: val, HasValue: ok})
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				c := a[j : j+1]
				if strings.Contains(sp.short, c) {
					o := opt{Name: "-" + c, HasValue: true}
					if j+1 < len(a) {
						o.Value = a[j+1:]
					} else if i+1 < len(args) {
						i++
						o.Value = args[i]
					} else {
						o.HasValue = false
					}
					opts = append(opts, o)
					break
				}
				opts = append(opts, opt{Name: "-" + c})
			}
		default:
			operands = append(operands, a)
		}
	}
	return
}

// has reports whether any of the names was given.
func has(opts []opt, names ...string) bool {
	for _, o := range opts {
		for _, n := range names {
			if o.Name == n {
				return true
			}
		}
	}
	return false
}

// values returns the values of the named options.
func values(opts []opt, names ...string) []string {
	var out []string
	for _, o := range opts {
		for _, n := range names {
			if o.Name == n && o.HasValue {
				out = append(out, o.Value)
			}
		}
	}
	return out
}

func last(opts []opt, names ...string) (string, bool) {
	v := values(opts, names...)
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func count(opts []opt, name string) int {
	n := 0
	for _, o := range opts {
		if o.Name == name {
			n++
		}
	}
	return n
}

// words returns the options as written, for PkgOp.Flags.
func words(opts []opt) []string {
	var out []string
	for _, o := range opts {
		if o.HasValue {
			out = append(out, o.Name+"="+o.Value)
		} else {
			out = append(out, o.Name)
		}
	}
	return out
}

// falsy reports whether a boolean option value turns a setting off.
func falsy(v string) bool {
	switch strings.ToLower(strings.Trim(v, `"' `)) {
	case "0", "false", "no", "off", "n", "f":
		return true
	}
	return false
}
