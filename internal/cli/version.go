package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"
)

// versionInfo is what the Go toolchain stamped into the binary about how it
// was built: the one source of whittle's version, for `whittle version`,
// `whittle --version` and the tool version in SARIF logs.
type versionInfo struct {
	// Module is the main module's path.
	Module string `json:"module"`
	// Version is the module version: a release (v1.2.3) for `go install
	// ...@v1.2.3`, a pseudo-version (v0.0.0-20260501100000-1a2b3c4d5e6f,
	// "+dirty" when modified) for a build in a clone since Go 1.24, or
	// "(devel)" when the toolchain knew none.
	Version string `json:"version"`
	// VCS is the version control system ("git"), Revision the full commit
	// ID and Time its commit time (RFC 3339); all three are empty when the
	// build was not stamped (-buildvcs=false, no .git, a test binary).
	VCS      string `json:"vcs,omitempty"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	// Modified reports uncommitted changes in the working tree at build
	// time.
	Modified bool `json:"modified"`
	// GoVersion is the toolchain that built the binary; Platform is
	// GOOS/GOARCH.
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// develVersion is the version of a build whose module version is unknown.
const develVersion = "(devel)"

// shortRevisionLen is how much of a revision the first line shows: as much
// as a Go pseudo-version holds.
const shortRevisionLen = 12

// readVersionInfo reads the build info of the running binary.
func readVersionInfo() versionInfo {
	return versionFrom(debug.ReadBuildInfo())
}

// versionFrom turns build info into a versionInfo; ok false (a binary
// without build info) gives "(devel)" and the running toolchain's figures.
func versionFrom(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{
		Version:   develVersion,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if !ok || bi == nil {
		return v
	}
	v.Module = bi.Main.Path
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			v.VCS = s.Value
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified, _ = strconv.ParseBool(s.Value)
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

// shortRevision is the revision cut to shortRevisionLen characters.
func (v versionInfo) shortRevision() string {
	if len(v.Revision) > shortRevisionLen {
		return v.Revision[:shortRevisionLen]
	}
	return v.Revision
}

// line is the one-line summary that `whittle --version` prints and
// `whittle version` starts with: "whittle VERSION", then, when the build
// was stamped, the short revision ("-dirty" when modified) and its time.
func (v versionInfo) line() string {
	s := "whittle " + v.Version
	if v.Revision == "" {
		return s
	}
	rev := v.shortRevision()
	if v.Modified {
		rev += "-dirty"
	}
	if v.Time != "" {
		return fmt.Sprintf("%s (%s, %s)", s, rev, v.Time)
	}
	return fmt.Sprintf("%s (%s)", s, rev)
}

// writeText writes the summary line and then one "key: value" line per
// figure; the figures the build did not stamp read "unknown".
func (v versionInfo) writeText(w io.Writer) error {
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	module := v.Module
	if module == "" {
		module = "unknown"
	}
	_, err := fmt.Fprintf(w, "%s\nmodule:    %s\nversion:   %s\nrevision:  %s\ntime:      %s\nmodified:  %t\ngo:        %s\nplatform:  %s\n",
		v.line(), module, v.Version, unknown(v.Revision), unknown(v.Time), v.Modified, v.GoVersion, v.Platform)
	return err
}

// writeJSON writes v as one indented JSON object.
func (v versionInfo) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// toolVersion returns whittle's version as the Go toolchain stamped it in
// the binary, for the tool version of SARIF logs (see versionInfo.tool).
func toolVersion() string { return readVersionInfo().tool() }

// tool is the module version (a release, or a pseudo-version for a build in
// a clone), or "" when the binary carries none: a "(devel)" build, a test
// binary.
func (v versionInfo) tool() string {
	if v.Version == develVersion {
		return ""
	}
	return v.Version
}

const versionLong = `Version prints how this whittle binary was built, as the Go toolchain
stamped it: the module version (a release for "go install ...@v1.2.3", a
pseudo-version for a build in a git clone, "(devel)" when none is known),
the VCS revision (short on the first line, full below) and its commit time,
whether the working tree had uncommitted changes, the Go version and the
platform. A figure the build did not record reads "unknown".

"whittle --version" prints the first line only. --format json prints one
object: module, version, vcs, revision, time, modified, go_version and
platform (vcs, revision and time left out when unknown).`

// NewCmdVersion builds `whittle version`.
func NewCmdVersion() *cobra.Command {
	return newCmdVersion(readVersionInfo)
}

// newCmdVersion builds `whittle version` reporting what read returns, so
// tests can give it any build info.
func newCmdVersion(read func() versionInfo) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print whittle's version, VCS revision and build details",
		Long:  versionLong,
		Args:  argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := read()
			var err error
			switch format {
			case "text":
				err = v.writeText(cmd.OutOrStdout())
			case "json":
				err = v.writeJSON(cmd.OutOrStdout())
			default:
				fmt.Fprintf(cmd.ErrOrStderr(), "whittle: unknown --format %q (want text or json)\n", format)
				return withExitCode(ExitError)
			}
			if err != nil {
				return fmt.Errorf("writing the version: %w", err)
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	cmd.Flags().StringVarP(&format, "format", "f", "text", "output `FORMAT`: text or json")
	return cmd
}
