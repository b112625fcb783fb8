package shellfacts

import "strings"

// Reading the argument words of a command (Command.Args, or the words of
// a call being edited), for tools shellfacts does not classify and for
// callers that match subcommands and flags themselves.

// Subcommand returns the first word of args that is not an option, skipping the
// values of the options in valued (for example "-o" for apt-get), and its
// index; "" and -1 when there is none. The word after "--" is an
// operand even when it starts with "-".
func Subcommand(args []string, valued ...string) (string, int) {
	for i := range operandIndexes(args, valued) {
		return args[i], i
	}
	return "", -1
}

// HasFlag reports whether args hold one of the options: a long name
// ("no-cache" matches --no-cache and --no-cache=x) or a one-letter name
// ("y" matches -y and -qy). Words after "--" are not options.
func HasFlag(args []string, names ...string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		for _, n := range names {
			if len(n) == 1 {
				if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.Contains(a[1:], n) {
					return true
				}
				continue
			}
			if a == "--"+n || strings.HasPrefix(a, "--"+n+"=") {
				return true
			}
		}
	}
	return false
}

// Operands returns the words of args that are not options nor values of
// the options in valued; every word after "--" is an operand, and so is a
// lone "-".
func Operands(args []string, valued ...string) []string {
	var out []string
	for i := range operandIndexes(args, valued) {
		out = append(out, args[i])
	}
	return out
}

// operandIndexes yields the indexes of the operands of args, in order.
func operandIndexes(args, valued []string) func(yield func(int) bool) {
	return func(yield func(int) bool) {
		skip := false
		for i, a := range args {
			switch {
			case skip:
				skip = false
			case a == "--":
				for j := i + 1; j < len(args); j++ {
					if !yield(j) {
						return
					}
				}
				return
			case strings.HasPrefix(a, "-") && len(a) > 1:
				skip = isValued(a, valued)
			default:
				if !yield(i) {
					return
				}
			}
		}
	}
}

func isValued(a string, valued []string) bool {
	for _, v := range valued {
		if a == v {
			return true
		}
	}
	return false
}
