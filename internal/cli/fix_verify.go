package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/fix"
	"github.com/whittle/whittle/pkg/verify"
)

// FixVerifySchema names the version of fix --verify's JSON document.
const FixVerifySchema = "whittle.fix-verify/v1"

// fixVerifyDoc is fix --verify's JSON document.
type fixVerifyDoc struct {
	SchemaVersion string `json:"schema_version"`
	// File is the Dockerfile as given ("-" for stdin).
	File string `json:"file"`
	// Changes are the repairs made, as the summary lists them.
	Changes []fix.Change `json:"changes"`
	// Verification is the comparison of the two builds; null when there
	// was nothing to repair.
	Verification *verify.Result `json:"verification"`
	// Written is true when --write wrote the repaired file.
	Written bool `json:"written"`
}

// newEngine finds the engine for --verify; tests replace it.
var newEngine = func(cmd *cobra.Command, name string) (verify.Engine, error) {
	return verify.FindEngine(cmd.Context(), name)
}

// checkVerifyFlags refuses flags that need --verify without it, and
// combinations --verify excludes.
func checkVerifyFlags(cmd *cobra.Command, fl fixFlags) error {
	if !fl.verify {
		for _, f := range []string{"context", "engine", "network", "target", "build-arg", "keep-images", "format"} {
			if cmd.Flags().Changed(f) {
				return fmt.Errorf("--%s needs --verify", f)
			}
		}
		return nil
	}
	if fl.diff || fl.check {
		return fmt.Errorf("--verify excludes --diff and --check")
	}
	if fl.format != "text" && fl.format != "json" {
		return fmt.Errorf("unknown --format %q (want text or json)", fl.format)
	}
	return nil
}

// runVerify builds the original and the repaired Dockerfile and reports
// what the repair changes in the image.
func runVerify(cmd *cobra.Command, name string, src []byte, res *fix.Result, fl fixFlags) error {
	stderr, out := cmd.ErrOrStderr(), cmd.OutOrStdout()
	doc := fixVerifyDoc{SchemaVersion: FixVerifySchema, File: name, Changes: res.Changes}
	if doc.Changes == nil {
		doc.Changes = []fix.Change{}
	}
	if !res.Changed() {
		if !fl.quiet {
			fmt.Fprintf(stderr, "%s: nothing to repair, so nothing to verify\n", name)
		}
		if fl.format == "json" {
			return writeVerifyJSON(out, doc)
		}
		return nil
	}
	opts := verify.Options{Context: fl.context, Name: "Dockerfile", BuildArgs: fl.buildArgs, Target: fl.target, KeepImages: fl.keepImages}
	if name != "-" {
		opts.Name = filepath.Base(name)
		if opts.Context == "" {
			opts.Context = filepath.Dir(name)
		}
		// A Dockerfile-specific ignore file applies to both builds.
		switch b, err := os.ReadFile(name + ".dockerignore"); {
		case err == nil:
			opts.Ignore = b
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("%s.dockerignore: %w", name, unwrapPathError(err))
		}
	}
	if opts.Context == "" {
		opts.Context = "."
	}
	if fi, err := os.Stat(opts.Context); err != nil {
		return fmt.Errorf("build context %s: %w", opts.Context, unwrapPathError(err))
	} else if !fi.IsDir() {
		return fmt.Errorf("build context %s: not a directory", opts.Context)
	}
	eng, err := newEngine(cmd, fl.engine)
	if err != nil {
		return err
	}
	opts.Engine = eng
	opts.Network = fl.network
	if opts.Network == "" && eng.Name() == verify.EngineDocker {
		opts.Network = "host"
	}
	if !fl.quiet {
		opts.Progress = stderr
	}
	vres, err := verify.Verify(cmd.Context(), src, res.Output, opts)
	if err != nil {
		return err
	}
	doc.Verification = vres
	if fl.write {
		if vres.Harmless {
			if err := writeFixed(cmd, name, res.Output, src, fl); err != nil {
				return err
			}
			doc.Written = true
		} else if !fl.quiet {
			fmt.Fprintf(stderr, "%s: not written: the repair is not proven harmless\n", name)
		}
	}
	if fl.format == "json" {
		err = writeVerifyJSON(out, doc)
	} else {
		err = report.VerifyText(out, name, vres)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if !vres.Harmless {
		return withExitCode(ExitFail)
	}
	return nil
}

func writeVerifyJSON(w io.Writer, doc fixVerifyDoc) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
