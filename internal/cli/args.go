package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/pkg/imageref"
)

// argsBetween accepts min to max positional arguments and otherwise names
// what the command wants, as its usage line does ("IMAGE", "SRC [DST]").
func argsBetween(min, max int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && (max < 0 || len(args) <= max) {
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
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		msg := err.Error()
		flag := ""
		if i := strings.Index(msg, ` for "`); i >= 0 {
			rest := msg[i+len(` for "`):]
			if j := strings.IndexByte(rest, '"'); j >= 0 {
				flag = rest[:j]
			}
		}
		what := "a number"
		switch ne.Func {
		case "ParseInt", "ParseUint":
			what = "a whole number"
		case "ParseBool":
			what = "true or false"
		}
		if errors.Is(ne.Err, strconv.ErrRange) {
			return fmt.Errorf("%s: %q is out of range", flag, ne.Num)
		}
		return fmt.Errorf("%s: %q is not %s", flag, ne.Num, what)
	}
	return err
}

// checkOutputFile fails before any work is done when a file cannot be
// written at path: its directory is missing, or path is a directory.
func checkOutputFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("writing %s: it is a directory", path)
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
	return nil
}

// checkDestination fails early when an archive or layout destination
// cannot be written: the directory it goes into is missing.
func checkDestination(ref imageref.Ref) error {
	switch ref.Kind() {
	case imageref.Archive:
		return checkOutputFile(ref.Path())
	case imageref.Layout:
		dir := filepath.Dir(filepath.Clean(ref.Path()))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("writing %s: directory %s does not exist", ref, dir)
		}
	}
	return nil
}
