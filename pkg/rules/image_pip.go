package rules

import (
	"fmt"
	"regexp"

	"github.com/whittle/whittle/pkg/packages"
)

// pipInImage is WH803: pip installed by the OS package manager in the
// final image (python3-pip, py3-pip), the tool that installs a Python
// application's dependencies, which running it does not need; and pip
// that Python installed itself (the python images' /usr/local, a virtual
// environment, pip install --user), found by its RECORD
// (packages.PipRecordPaths).
type pipInImage struct{}

func (pipInImage) Meta() Meta {
	return Meta{
		ID:       "WH803",
		Name:     "pip-in-image",
		Summary:  "pip itself is installed in the final image: as an OS package (python3-pip, py3-pip), often with the compilers and headers its recommends bring, or by Python (found by its RECORD).",
		Severity: Warning,
		Doc:      "docs/rules/WH803.md",
	}
}

// imagePip are the OS packages of pip: Debian's python3-pip and its wheel,
// Alpine's py3-pip and its compiled files.
var imagePip = regexp.MustCompile(`^(python[0-9.]*-pip(-whl)?|py[0-9]*-pip(-pyc)?)$`)

func isPip(p packages.Package) bool { return imagePip.MatchString(p.Name) }

func (pipInImage) CheckImage(in *ImageInput) []ImageFinding {
	var out []ImageFinding
	for _, g := range groupByLayer(in.Packages, isPip) {
		out = append(out, g.finding(Warning,
			fmt.Sprintf("pip in the final image: %s", packageNames(g.pkgs)),
			"install the dependencies in a build stage (into a virtual environment, copied with `COPY --from=build /venv /venv`), "+
				"or remove pip in the RUN that used it (`apt-get purge -y --auto-remove python3-pip`, `apk del py3-pip`)"))
	}
	if in.Packages != nil && in.Report != nil {
		out = append(out, pipFindings(in.Report)...)
	}
	return out
}
