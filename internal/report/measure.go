package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/whittle/whittle/pkg/measure"
)

// MeasureText writes the Dockerfile's findings with what each costs in the
// image, the largest first (opts.Top of the measured ones; 0: all), then
// how many more could not be measured.
func MeasureText(w io.Writer, m *measure.Result, opts TextOptions) error {
	ew := &errWriter{w: w}
	p := palette{on: opts.Color}
	ew.printf("%s %s\n", p.bold("Dockerfile"), m.File)
	var measured, other int
	for _, f := range m.Findings {
		if f.Measured {
			measured++
		} else {
			other++
		}
	}
	paired := "no instruction made a layer"
	if n := len(m.Instructions); n > 0 {
		paired = fmt.Sprintf("%s paired with layers %d to %d", plural(int64(n), "instruction", "instructions"), m.BaseLayers, m.BaseLayers+n-1)
	}
	ew.printf("  %s\n", p.dim(fmt.Sprintf("stage %s: %s; %s below from the base image", m.Stage, paired, plural(int64(m.BaseLayers), "layer", "layers"))))
	if len(m.Findings) == 0 {
		ew.printf("  %s\n", p.green("no findings"))
		return ew.err
	}
	ew.printf("  %s\n", fmt.Sprintf("%s the findings cost in this image (%s, each byte once)", p.bold(size(m.MeasuredBytes)), exact(m.MeasuredBytes)))
	n := opts.limit(measured)
	rows := [][]cell{{styled("cost", p.dim).alignRight(), styled("line", p.dim).alignRight(), styled("rule", p.dim), styled("layer", p.dim).alignRight(), styled("measured as", p.dim)}}
	for _, f := range m.Findings[:n] {
		layer, basis := strconv.Itoa(f.Layer), f.Basis
		if f.Layer < 0 {
			layer = "-"
		}
		if f.SharedBytes > 0 {
			basis += fmt.Sprintf("; %s of it also under another finding", size(f.SharedBytes))
		}
		rows = append(rows, []cell{styled(size(f.CostBytes), p.yellow).alignRight(), num(strconv.Itoa(f.Line)), plain(f.Rule), num(layer), plain(basis)})
	}
	if n > 0 {
		if err := table(ew, "  ", rows); err != nil {
			return err
		}
	}
	more(ew, p, measured-n)
	if other > 0 {
		ew.printf("  %s\n", p.dim(fmt.Sprintf("%s not measured (whittle lint lists them; --format json says why for each)", plural(int64(other), "finding", "findings"))))
	}
	return ew.err
}
