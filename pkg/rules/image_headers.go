package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// headersInImage is WH802: -dev and -devel packages (headers, static
// libraries) installed in the final image by a layer that installed no
// build tool (with build tools they are part of WH801's finding). Info
// when they are alone, with no build tool anywhere in the image: the
// runtime library such a package depends on is often what the image
// needs, and the -dev package the way it came in. Beside build tools of
// another layer they serve the compiler: a warning.
type headersInImage struct{}

func (headersInImage) Meta() Meta {
	return Meta{
		ID:       "WH802",
		Name:     "dev-headers-in-image",
		Summary:  "Development packages (-dev, -devel: headers and static libraries) are installed in the final image by an instruction that installed no compiler (a warning when another layer installed one).",
		Severity: Info,
		Doc:      "docs/rules/WH802.md",
	}
}

func (headersInImage) CheckImage(in *ImageInput) []ImageFinding {
	tools := map[int]bool{}
	var toolLayers []string
	for _, g := range groupByLayer(in.Packages, isBuildTool) {
		tools[g.layer] = true
		toolLayers = append(toolLayers, layerName(g.layer))
	}
	var out []ImageFinding
	for _, g := range groupByLayer(in.Packages, isHeaders) {
		if tools[g.layer] {
			continue // WH801 reports them with the tools
		}
		sev, msg := Info, fmt.Sprintf("development headers in the final image: %s", packageNames(g.pkgs))
		if len(toolLayers) > 0 {
			sev = Warning
			msg += fmt.Sprintf(", beside the build tools of %s", strings.Join(toolLayers, " and "))
		}
		out = append(out, g.finding(sev, msg, headersFix(g.pkgs)))
	}
	return out
}

func headersFix(pkgs []ImagePackage) string {
	lib := "the runtime library (libpq5 rather than libpq-dev)"
	if _, apk := managers(pkgs); apk {
		lib = "the runtime library (libpq rather than libpq-dev)"
	}
	return "install " + lib + " when the image only runs the software, or build in a separate stage and copy what it makes into the final one"
}

// layerName names a layer of a finding: "layer 1", or "packages of unknown
// layers" for -1.
func layerName(l int) string {
	if l < 0 {
		return "packages whose layer is unknown"
	}
	return "layer " + strconv.Itoa(l)
}
