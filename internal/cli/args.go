package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// argsBetween accepts min to max positional arguments and otherwise names
// what the command wants, as its usage line does ("IMAGE", "SRC [DST]").
func argsBetween(min, max int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && (max < 0 || len(args) <= max) {
			for i, a := range args {
				if a == "" {
					return fmt.Errorf("%s: argument %d is empty", cmd.Name(), i+1)
				}
			}
			return nil
		}
		return fmt.Errorf("%s wants %s, got %d argument(s) (see whittle %s --help)",
			cmd.Name(), want, len(args), cmd.Name())
	}
}

// flagError rewrites pflag's parse errors ("invalid argument "abc" for
// "--top" flag: strconv.ParseInt: parsing "abc": invalid syntax") into one
// line that names the flag and what it wants.
func flagError(_ *cobra.Command, err error) error {
	var ive *pflag.InvalidValueError
	var ne *strconv.NumError
	if !errors.As(err, &ive) || !errors.As(err, &ne) {
		return err
	}
	flag := "--" + ive.GetFlag().Name
	if errors.Is(ne.Err, strconv.ErrRange) {
		return fmt.Errorf("%s: %q is out of range", flag, ive.GetValue())
	}
	what := "a number"
	switch ne.Func {
	case "ParseInt", "ParseUint":
		what = "a whole number"
	case "ParseBool":
		what = "true or false"
	}
	return fmt.Errorf("%s: %q is not %s", flag, ive.GetValue(), what)
}

// checkOutputFile fails before any work is done when a report cannot be
// written at path: its directory is missing or not writable, or path is a
// directory or a tar archive (an image, which a report never replaces; a
// report already there is replaced).
func checkOutputFile(path string) error {
	if fi, err := os.Stat(path); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("writing %s: it is a directory", path)
		case isTarFile(path):
			return fmt.Errorf("writing %s: it is a tar archive, not a report; refusing to replace it", path)
		}
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("writing %s: directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("writing %s: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("writing %s: %s is not a directory", path, dir)
	}
	// Only writing tells (read-only mounts, ACLs, root).
	probe, err := os.CreateTemp(dir, ".whittle-probe-*")
	if err != nil {
		return fmt.Errorf("writing %s: directory %s is not writable (%w)", path, dir, pathErrCause(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// isTarFile reports whether the file at path starts with a tar header
// (the "ustar" magic of POSIX, PAX and GNU tars).
func isTarFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var block [512]byte
	if _, err := io.ReadFull(f, block[:]); err != nil {
		return false
	}
	return string(block[257:262]) == "ustar"
}

// pathErrCause is the cause of a file-system error without the path it
// names: a temporary file's name means nothing to the user.
func pathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// yamlUnknownField matches yaml.v3's message for a key the struct lacks.
var yamlUnknownField = regexp.MustCompile(`^line \d+: field (\S+) not found in type \S+$`)

// configError makes an error decoding section of the configuration file at
// path into v one line, without Go type names and with lines counted in the
// file: yaml.v3's "yaml: unmarshal errors:\n  line 1: field bogus not found
// in type cli.lintConfig" becomes "line 3: unknown key "bogus"". (The
// configuration package decodes a re-encoded copy of the section, whose
// line numbers are not the file's.)
func configError(err error, path, section string, v any) error {
	var te *yaml.TypeError
	if err == nil || !errors.As(err, &te) {
		return err
	}
	node := sectionNode(path, section)
	if node == nil {
		return err
	}
	type msg struct {
		line int
		text string
	}
	var msgs []msg
	for _, e := range te.Errors {
		if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
			msgs = append(msgs, msg{keyLine(node, m[1]), fmt.Sprintf("unknown key %q", m[1])})
		}
	}
	// Type errors, with the file's lines: decode the original section
	// into a fresh value of v's type.
	fresh := reflect.New(reflect.TypeOf(v).Elem()).Interface()
	var nte *yaml.TypeError
	if errors.As(node.Decode(fresh), &nte) {
		for _, e := range nte.Errors {
			line := 0
			if _, err := fmt.Sscanf(e, "line %d:", &line); err == nil {
				e = strings.TrimSpace(e[strings.IndexByte(e, ':')+1:])
			}
			msgs = append(msgs, msg{line, e})
		}
	}
	if len(msgs) == 0 {
		return err
	}
	slices.SortStableFunc(msgs, func(a, b msg) int { return a.line - b.line })
	parts := make([]string, len(msgs))
	for i, m := range msgs {
		parts[i] = fmt.Sprintf("line %d: %s", m.line, m.text)
	}
	return fmt.Errorf("%s: %s: %s", path, section, strings.Join(parts, "; "))
}

// sectionNode is the value of the top-level key section of the YAML file at
// path, or nil.
func sectionNode(path, section string) *yaml.Node {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == section {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyLine is the line of the first mapping key named key in n, depth first.
func keyLine(n *yaml.Node, key string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line
			}
		}
	}
	for _, c := range n.Content {
		if l := keyLine(c, key); l > 0 {
			return l
		}
	}
	return 0
}
