package report

import (
	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/packages"
	"github.com/whittle/whittle/pkg/rules"
)

// Analysis is what the analyze renderers print: the account of one image
// and what the command computed beside it. Only Report is required; a nil
// part is left out of every format.
type Analysis struct {
	Report *account.Report
	// Dockerfile is the Dockerfile's findings measured in the image
	// (--dockerfile).
	Dockerfile *measure.Result
	// Gate is the CI gate's outcome, when the gate is on.
	Gate *gate.Outcome
	// Packages is the image's package attribution (--packages).
	Packages *packages.Result
	// Findings are the image rules' findings (rules.CheckImage), in the
	// order they are printed.
	Findings []rules.ImageFinding
	// Tree is the final filesystem by size (account.SizeTree), which the
	// HTML page draws; the other formats ignore it.
	Tree *account.SizeNode
}
