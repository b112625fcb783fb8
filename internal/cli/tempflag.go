package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/whittle/whittle/pkg/spool"
)

// defaultMaxTemp is --max-temp-bytes' default: a share of the free space,
// measured when the command starts (docs/limits.md).
const defaultMaxTemp = "90%"

// addMaxTemp adds --max-temp-bytes; what says what it caps.
func addMaxTemp(f *pflag.FlagSet, v *string, what string) {
	f.StringVar(v, "max-temp-bytes", defaultMaxTemp, "refuse to write more than `SIZE` to "+what+
		", checked as it is written: bytes (20GB, 1.5GiB) or a share of the free space when the command starts (90%: of the file system with the least; 0: no limit)")
}

// tempBudget is the budget --max-temp-bytes sets: v is a size, or a share
// of the free space of the file systems holding dirs ("" is the system's
// temporary directory).
func tempBudget(v string, dirs ...string) (*spool.Budget, error) {
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || p <= 0 || p > 100 {
			return nil, fmt.Errorf("--max-temp-bytes: %q is not a share of the free space (more than 0%% and at most 100%%)", v)
		}
		return spool.ShareBudget(p/100, dirs...)
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n > 1<<62 {
		return nil, fmt.Errorf("--max-temp-bytes: %q is not a size (20GB, 1.5GiB, bytes, or a share of the free space such as 90%%)", v)
	}
	return spool.NewBudget(int64(n)), nil
}

// tempHint adds to an error caused by --max-temp-bytes the flag.
func tempHint(err error) error {
	var le *spool.LimitError
	if errors.As(err, &le) {
		return fmt.Errorf("%w (to write more, raise --max-temp-bytes; see docs/limits.md)", err)
	}
	return err
}
