package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/whittle/whittle/internal/config"
	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/imageref"
	"github.com/whittle/whittle/pkg/measure"
	"github.com/whittle/whittle/pkg/packages"
	lintrules "github.com/whittle/whittle/pkg/rules"
)

// analyzeOptions are the flags of `whittle analyze`.
type analyzeOptions struct {
	format     string
	output     string
	json       string // dive's --json FILE
	platform   string
	insecure   bool
	top        int
	jobs       int
	ci         bool
	thresholds gate.Thresholds
	ciConfig   string
	noColor    bool
	config     string
	verify     bool
	dockerfile string
	target     string
	packages   bool
	dive       diveFlags
	limits     limitFlags
	maxTemp    string // --max-temp-bytes: what `analyze -` spools
	cache      cacheFlags
}

// analyzeConfig is the analyze section of .whittle.yaml.
type analyzeConfig struct {
	gate.Thresholds `yaml:",inline"`
	// CIConfig names a .dive-ci file, relative to .whittle.yaml.
	CIConfig string `yaml:"ci-config"`
	Top      *int   `yaml:"top"`
	Jobs     *int   `yaml:"jobs"`
	// VerifyBlobs also checks the sha256 of every compressed blob.
	VerifyBlobs *bool `yaml:"verify-blobs"`
	// Packages turns package attribution on or off (--packages).
	Packages *bool `yaml:"packages"`
}

const analyzeLong = `Analyze reads an image without Docker and accounts for every byte in it.

IMAGE is docker-archive:PATH (a docker save or OCI archive tar), oci:DIR[:TAG]
(an OCI image layout), oci-archive:PATH[:TAG] (an OCI layout in a tar, as
skopeo writes it), docker-daemon:NAME[:TAG] (the local Docker Engine),
docker://REF or a bare REF (a registry), an existing path (a tar file, or a
directory holding index.json), or - for a docker save stream on standard input
(spooled to a temporary file, removed afterwards).

The figures (all byte counts are regular-file content, as tar headers say):
  size         content of every layer, uncompressed
  compressed   the layer blobs as stored or pushed
  wasted       bytes that ship in some layer but are not visible in the final
               filesystem: overwritten or deleted by a later layer, hidden by
               an opaque directory, or under a directory a later layer deleted
               or replaced. Exactly what squashing all layers would remove.
  visible      bytes visible in the final filesystem (size - wasted)
  caches       visible bytes in package-manager and build caches (apt lists
               and archives, apk, pip, npm, yarn, gem, go build, /tmp, ...)
  docs         visible documentation, manual pages and locales (/usr/share/doc,
               man, info, locale)
  duplicates   visible files whose content equals another visible file's
               (every copy after the first; hard links excluded)
  dive block   efficiency, wasted bytes and user wasted percent computed the
               way dive computes them, so .dive-ci thresholds carry over
               (dive counts every copy of a file that is in several layers)

Packages (on unless --packages=false): every visible byte is attributed to
the OS package that owns it, read from the image's dpkg or apk database (rpm
databases are found and shown as not read), or to no package, grouped by top
directory; when a database or a file list could not be read, those bytes are
"not attributed" rather than "no package". The findings about the image
follow, with rule IDs and pages like lint's (docs/rules/README.md): build
tools (WH801), -dev headers (WH802), pip (WH803) and package-manager caches
(WH804) left in the final image, each with its bytes, its layer and the
instruction that put it there.

The text report shows the summary (wasted also as a percentage of size), the
biggest waste grouped by the layer that ships it and why it is hidden, a table
of layers (size, compressed, wasted, the instruction that made it), caches and
documentation by category, duplicate sets, the dive block, the biggest
packages and the findings about the image. --format json has every item;
--format html adds a chart of the final filesystem by size.

CI gate (--ci, --ci-config or a threshold flag; or, as with dive, CI=true in
the environment with a .dive-ci present, unless --ci=false): each rule prints
its figure, its threshold and PASS, FAIL or SKIP; the exit code is 0 when all
pass, 1 when one fails, 2 on an error. Rules come from dive's .dive-ci (read
as dive reads it: rules: lowestEfficiency, highestWastedBytes,
highestUserWastedPercent, with dive's defaults for missing keys), then the
analyze: section of .whittle.yaml or of --config FILE (max-wasted-bytes,
max-wasted-ratio, min-efficiency, ci-config), then flags; a later source
overrides an earlier one rule by rule, and "disabled" turns a rule off. With
--ci and no rules anywhere, dive's defaults apply.

dive's flags work as they do there: --source docker|podman|docker-archive
reads IMAGE from the Docker Engine (docker-daemon:IMAGE), podman's API socket
(CONTAINER_HOST, else $XDG_RUNTIME_DIR/podman/podman.sock, else
/run/podman/podman.sock) or a docker save tar (docker-archive:IMAGE); dive's
podman://IMAGE is --source podman IMAGE and docker-archive://FILE is
docker-archive:FILE. A bare IMAGE without --source, and docker://IMAGE, are
read from a registry, not from the engine as dive does. --lowestEfficiency, --highestWastedBytes and --highestUserWastedPercent
set dive's rules (implying --ci), as a .dive-ci would. --json FILE (-j) writes
dive's JSON export of the image to FILE, in dive's format, and nothing else:
as dive, it prints no report and skips the CI rules.

With --dockerfile FILE (the Dockerfile the image was built from; --target
STAGE when it is not the last stage), analyze also lints it and measures what
each finding costs in this image: the cache a RUN left, what a later layer
hides of an earlier one, the base image's layers (see docs/analyze.md).

Checks: every layer's diff_id (the sha256 of its uncompressed tar, so of every
byte accounted for) and every blob's length against the manifest. A registry's
blobs are also checked against their digests as they stream; --verify-blobs
checks the digest of local compressed blobs too (about 6% more time).

Layer cache (on unless --no-cache): what each layer's content gave is kept in
--cache-dir (default whittle/layers under $XDG_CACHE_HOME or ~/.cache, at most
--cache-max-size, least recently used entries removed first), keyed by the
layer's diff_id, so that a later run, or one on another image holding the same
layers, reads none of their content; the report is the same. A cached layer's
blob is not read unless --verify-blobs, which hashes it (docs/cache.md).

Exit codes: 0 success (and every CI rule passed), 1 a CI rule failed, 2 an
error (an image that cannot be read, a bad flag or configuration).

See docs/analyze.md for the full guide and docs/schema/analyze-v1.md for the
JSON fields.`

const analyzeExample = `  whittle analyze examples/app.tar
  whittle analyze examples/app.tar --dockerfile examples/Dockerfile
  docker save myapp:latest | whittle analyze -
  whittle analyze --format json -o report.json docker-daemon:myapp:latest
  whittle analyze --ci --max-wasted-bytes 20MB --max-wasted-ratio 0.1 registry.example.com/app:1.2
  whittle analyze --ci --ci-config .dive-ci oci:build/layout:latest
  whittle analyze --source docker-archive image.tar --json dive.json`

// NewCmdAnalyze builds `whittle analyze`.
func NewCmdAnalyze() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:          "analyze IMAGE",
		Short:        "Account for every byte of an image: size, waste, caches, duplicates",
		Long:         analyzeLong,
		Example:      analyzeExample,
		Args:         argsBetween(1, 1, "one IMAGE"),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(cmd, o, args[0])
		},
	}
	f := cmd.Flags()
	cmd.SetFlagErrorFunc(flagError)
	f.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: text, json, or html (one self-contained page with charts)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout (- is stdout); without --format, FILE's extension chooses it: .json, .html")
	f.StringVar(&o.platform, "platform", "", "pick `os/arch[/variant]` from a multi-platform image (default: linux on this machine's architecture)")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP and unverified TLS to registries")
	f.IntVar(&o.top, "top", report.DefaultTop, "list the `N` biggest waste files, duplicate sets, dive inefficiencies and packages in text and HTML (0: all)")
	f.IntVar(&o.jobs, "jobs", 0, "read `N` layers at once (0: one per CPU)")
	f.StringVar(&o.dockerfile, "dockerfile", "", "measure what each lint finding of the Dockerfile `FILE` the image was built from costs in it")
	f.StringVar(&o.target, "target", "", "with --dockerfile: the `STAGE` the image was built from, by name or index from 0 (default: the last)")
	f.BoolVar(&o.packages, "packages", true, "attribute the visible bytes to the OS packages that own them (dpkg, apk) and report the build tools left in the image (--packages=false: off)")
	f.BoolVar(&o.verify, "verify-blobs", false, "also check the sha256 of every compressed layer blob against the manifest (diff_ids are always checked)")
	f.BoolVar(&o.ci, "ci", false, "judge the image by the CI rules; exit 1 when one fails")
	f.StringVar(&o.thresholds.MaxWastedBytes, "max-wasted-bytes", "", "CI rule: fail when wasted bytes exceed `SIZE` (20MB, 1.5GiB or bytes; implies --ci)")
	f.StringVar(&o.thresholds.MaxWastedRatio, "max-wasted-ratio", "", "CI rule: fail when wasted/size exceeds `RATIO` (0 to 1; implies --ci)")
	f.StringVar(&o.thresholds.MinEfficiency, "min-efficiency", "", "CI rule: fail when dive's efficiency is below `RATIO` (0 to 1; implies --ci)")
	f.StringVar(&o.ciConfig, "ci-config", "", "read dive CI rules from `FILE` (default: .dive-ci when it exists; implies --ci)")
	f.StringVar(&o.config, "config", "", "read the configuration from `FILE` (default: .whittle.yaml found from the current directory up)")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the output (colour is used only on a terminal, and not when NO_COLOR is set)")
	f.StringVarP(&o.json, "json", "j", "", "dive's: write dive's JSON export to `FILE` (atomically; - is stdout) instead of the report, and skip the CI rules, as dive does")
	_ = cmd.MarkFlagFilename("json", "json")
	o.dive.add(f)
	o.limits.add(f)
	addMaxTemp(f, &o.maxTemp, "the temporary file that holds an image read from standard input (IMAGE -) or from the Docker Engine")
	o.cache.add(f)
	return cmd
}

// The size chart of the HTML report: the final filesystem down to this
// many levels below the root, leaving out what holds less than
// 1/sizeChartShare of the visible bytes.
const (
	sizeChartDepth = 6
	sizeChartShare = 200
)

// runAnalyze runs the command. Every error is printed here as one line and
// turned into exit code 2; a failed gate is exit code 1.
func runAnalyze(cmd *cobra.Command, o *analyzeOptions, arg string) error {
	stderr := cmd.ErrOrStderr()
	var spool *stdinSpool // the image read from stdin (IMAGE "-")
	fail := func(err error) error {
		err = tempHint(err)
		var ie *interruptedError
		if errors.As(interrupted(cmd.Context(), "analyze", err), &ie) {
			return ie // Execute prints it
		}
		fmt.Fprintf(stderr, "whittle: %s\n", errorLine(spool.hide(err)))
		return withExitCode(ExitError)
	}
	cfg, cfgPath, err := loadAnalyzeConfig(o.config)
	if err != nil {
		return fail(err)
	}
	flags := cmd.Flags()
	if cfg.Top != nil && !flags.Changed("top") {
		o.top = *cfg.Top
	}
	if cfg.Jobs != nil && !flags.Changed("jobs") {
		o.jobs = *cfg.Jobs
	}
	if cfg.VerifyBlobs != nil && !flags.Changed("verify-blobs") {
		o.verify = *cfg.VerifyBlobs
	}
	if cfg.Packages != nil && !flags.Changed("packages") {
		o.packages = *cfg.Packages
	}
	o.format = formatForOutput(cmd, o.format, o.output, imageFormatsByExt)
	if o.format != "text" && o.format != "json" && o.format != "html" {
		return fail(fmt.Errorf("unknown --format %q (want text, json or html)", o.format))
	}
	if o.top < 0 {
		return fail(fmt.Errorf("analyze: top must be 0 or more, not %d", o.top))
	}
	if o.jobs < 0 {
		return fail(fmt.Errorf("analyze: jobs must be 0 or more, not %d", o.jobs))
	}
	if arg == "-" && o.dockerfile == "-" {
		return fail(errors.New("analyze: the image and --dockerfile cannot both be read from standard input"))
	}
	if o.output == "-" {
		o.output = "" // stdout
	}
	if o.json != "" {
		for _, name := range []string{"output", "format", "dockerfile"} {
			if flags.Changed(name) {
				return fail(fmt.Errorf("--json writes only dive's export, as dive does: it cannot be combined with --%s", name))
			}
		}
	}
	useGate := o.json == "" && analyzeGateOn(flags, o, cfg, cfgPath, os.Getenv)
	if o.json != "" && (o.ci || o.ciConfig != "" || o.thresholds != (gate.Thresholds{}) || o.dive.thresholds()) {
		fmt.Fprintln(stderr, "whittle: --json: the CI rules are not evaluated (as with dive, which exports and exits); run analyze without --json to judge the image")
	}
	var rules []gate.Rule
	if useGate {
		if rules, err = analyzeRules(o, cfg, cfgPath); err != nil {
			return fail(err)
		}
	}

	var (
		df       *dockerfile.File
		findings []lintrules.Finding
	)
	if o.dockerfile != "" {
		if df, err = parseBuiltDockerfile(cmd.InOrStdin(), o.dockerfile, o.target); err != nil {
			return fail(err)
		}
		lctx := cmd.Context()
		if lctx == nil {
			lctx = context.Background()
		}
		if findings, err = lintrules.Lint(lctx, df, lintContext("", o.dockerfile)...); err != nil {
			return fail(err)
		}
	} else if o.target != "" {
		return fail(fmt.Errorf("analyze: --target needs --dockerfile"))
	}

	var srcOpts []imageref.Option
	var ref imageref.Ref // IMAGE "-" is known once spooled
	if arg != "-" {
		if arg, srcOpts, err = o.dive.reference(arg, os.Getenv); err != nil {
			return fail(err)
		}
		if ref, err = imageref.Parse(arg); err != nil {
			return fail(err)
		}
	}
	for _, out := range []string{o.output, o.json} {
		if out == "" || out == "-" {
			continue // stdout (-o - is "" by now)
		}
		if err := refuseOverwrite(ref, out); err != nil {
			return fail(err)
		}
		if fi, err := os.Stat(out); out == o.json && err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
			continue // a device or a fifo: written into, never replaced
		}
		if err := checkOutputFile(out); err != nil {
			return fail(err)
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	budget, err := tempBudget(o.maxTemp, "")
	if err != nil {
		return fail(err)
	}
	if arg == "-" {
		setActivity(ctx, "while reading the image from standard input", "")
		if spool, err = spoolStdin(ctx, cmd.InOrStdin(), budget); err != nil {
			return fail(fmt.Errorf("analyze -: %w", err))
		}
		defer spool.Close()
		ref = spool.Ref
	}
	layerLimits, refLimits, err := o.limits.limits()
	if err != nil {
		return fail(err)
	}
	netOpts, err := o.limits.sourceOptions(refLimits)
	if err != nil {
		return fail(err)
	}
	netOpts = append(netOpts, imageref.WithBudget(budget)) // the Docker Engine's image, spooled
	lc, err := o.cache.open(stderr)
	if err != nil {
		return fail(err)
	}
	img, err := ref.Image(ctx, append(append(srcOpts, imageref.WithPlatform(o.platform), imageref.WithInsecure(o.insecure)), netOpts...)...)
	if err != nil {
		return fail(limitHint(err))
	}
	aopts := []account.Option{account.WithReference(arg), account.WithBlobDigests(o.verify), account.WithLayerLimits(layerLimits)}
	if paths := measure.WatchPaths(findings); len(paths) > 0 {
		aopts = append(aopts, account.WithWatch(paths)) // the files findings name
	}
	if o.jobs > 0 {
		aopts = append(aopts, account.WithJobs(o.jobs))
	}
	if lc != nil {
		aopts = append(aopts, account.WithLayerCache(lc))
	}
	var export *diveExportFile
	if o.json != "" {
		if export, err = openDiveExport(ctx, ref, img, o.json, cmd.OutOrStdout(), netOpts); err != nil {
			return fail(err)
		}
		defer export.abort() // after the rename, only a no-op
		// dive's export needs no content hashes (no duplicate search).
		aopts = append(aopts, account.WithDiveExport(export.layer), account.WithDuplicates(false))
	} else if o.packages {
		aopts = append(aopts, packages.AnalyzeOptions()...)
	} else if o.format == "html" {
		aopts = append(aopts, account.WithVisibleFiles(true)) // for the size chart
	}
	bar := newLayerProgress(stderr)
	if bar != nil {
		aopts = append(aopts, account.WithProgress(bar.update))
	}
	rep, err := account.Analyze(ctx, img, aopts...)
	bar.finish()
	if err != nil {
		return fail(fmt.Errorf("analyzing %s: %w", ref, limitHint(err)))
	}
	if export != nil {
		if err := export.finish(rep.Dive); err != nil {
			return fail(err)
		}
		return nil
	}

	a := report.Analysis{Report: rep}
	if o.packages {
		if a.Packages, err = packages.Attribute(rep); err != nil {
			return fail(fmt.Errorf("attributing %s to packages: %w", ref, err))
		}
	}
	var measured *measure.Result
	if df != nil {
		if measured, err = measure.Measure(df, findings, rep, measure.WithPackages(a.Packages)); err != nil {
			var mm *measure.MismatchError
			if errors.As(err, &mm) && o.target == "" && len(df.Stages) > 1 {
				err = fmt.Errorf("%w (was the image built from another stage? name it with --target)", err)
			}
			return fail(fmt.Errorf("%s and %s: %w", o.dockerfile, ref, err))
		}
		a.Dockerfile = measured
	}
	a.Findings = lintrules.CheckImage(rep, a.Packages)
	if o.format == "html" {
		a.Tree = account.SizeTree(rep.VisibleFiles, sizeChartDepth, rep.Image.VisibleBytes/sizeChartShare)
	}
	if useGate {
		g := gate.Evaluate(rep, rules)
		a.Gate = &g // the JSON and HTML reports hold the verdict too
	}
	outcome := a.Gate
	stdout := cmd.OutOrStdout()
	var buf bytes.Buffer
	color := o.output == "" && colorFor(stdout, o.noColor)
	switch {
	case o.format == "json":
		err = report.AnalyzeJSON(&buf, a)
	case o.format == "html":
		err = report.AnalyzeHTML(&buf, a, report.TextOptions{Top: o.top})
	default:
		err = report.AnalyzeText(&buf, a, report.TextOptions{Top: o.top, Color: color})
		if err == nil && measured != nil {
			buf.WriteString("\n")
			err = report.MeasureText(&buf, measured, report.TextOptions{Top: o.top, Color: color})
		}
	}
	if err != nil {
		return fail(err)
	}
	if err := emitReport(stdout, o.output, buf.Bytes()); err != nil {
		return fail(err)
	}

	if outcome == nil {
		return nil
	}
	gw := stdout
	if o.format == "json" && o.output == "" {
		gw = stderr // keep stdout a JSON document
	} else if o.output == "" {
		fmt.Fprintln(gw)
	}
	if err := report.GateText(gw, *outcome, report.TextOptions{Color: colorFor(gw, o.noColor)}); err != nil {
		return fail(fmt.Errorf("writing CI result: %w", err))
	}
	if !outcome.Pass {
		return withExitCode(ExitFail)
	}
	return nil
}

// loadAnalyzeConfig reads the analyze section of the configuration file at
// path, or of the nearest .whittle.yaml when path is empty.
func loadAnalyzeConfig(path string) (analyzeConfig, string, error) {
	var cfg analyzeConfig
	if path == "" {
		p, err := config.Find(".")
		if err != nil || p == "" {
			return cfg, "", err
		}
		path = p
	}
	f, err := config.Load(path)
	if err != nil {
		return cfg, "", err
	}
	if _, err := f.Decode("analyze", &cfg); err != nil {
		return cfg, "", configError(err, f.Path, "analyze", &cfg)
	}
	// Name the file relative to the working directory in messages.
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil {
			path = rel
		}
	}
	return cfg, path, nil
}

// analyzeRules gathers the CI rules: .dive-ci, then .whittle.yaml, then
// flags, each overriding the one before rule by rule.
func analyzeRules(o *analyzeOptions, cfg analyzeConfig, cfgPath string) ([]gate.Rule, error) {
	var sets [][]gate.Rule
	divePath, explicit := o.ciConfig, o.ciConfig != ""
	if !explicit && cfg.CIConfig != "" {
		divePath, explicit = cfg.CIConfig, true
		if !filepath.IsAbs(divePath) {
			divePath = filepath.Join(filepath.Dir(cfgPath), divePath)
		}
	}
	if !explicit {
		if _, err := os.Stat(gate.DiveCIFile); err == nil {
			divePath = gate.DiveCIFile
		}
	}
	if divePath != "" {
		r, err := gate.ReadDiveCI(divePath)
		if err != nil {
			return nil, err
		}
		sets = append(sets, r)
	}
	if cfgPath != "" {
		r, err := cfg.Thresholds.Rules(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("%s: analyze: %w", cfgPath, err)
		}
		sets = append(sets, r)
	}
	var flagRules []gate.Rule
	for _, kv := range []struct{ name, flag, setting string }{
		{gate.NameMaxWastedBytes, "--max-wasted-bytes", o.thresholds.MaxWastedBytes},
		{gate.NameMaxWastedRatio, "--max-wasted-ratio", o.thresholds.MaxWastedRatio},
		{gate.NameMinEfficiency, "--min-efficiency", o.thresholds.MinEfficiency},
	} {
		if kv.setting == "" {
			continue
		}
		r, err := gate.ParseRule(kv.name, kv.setting, kv.flag)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kv.flag, err)
		}
		flagRules = append(flagRules, r)
	}
	diveRules, err := o.dive.rules(o.thresholds)
	if err != nil {
		return nil, err
	}
	sets = append(sets, append(flagRules, diveRules...))
	rules := gate.Merge(sets...)
	if len(rules) == 0 {
		rules = gate.DiveDefaults()
	}
	return rules, nil
}

// refuseOverwrite fails when the output file is the image being read.
func refuseOverwrite(ref imageref.Ref, output string) error {
	if ref.Kind() != imageref.Archive && ref.Kind() != imageref.Layout && ref.Kind() != imageref.OCIArchive {
		return nil
	}
	out, err := os.Stat(output)
	if err != nil {
		return nil // a new file cannot be the input
	}
	in, err := os.Stat(ref.Path())
	if err == nil && os.SameFile(in, out) {
		return fmt.Errorf("analyze: refusing to write the report over the image %s", ref)
	}
	return nil
}

// parseBuiltDockerfile reads (path "-": stdin) and parses the Dockerfile an
// image was built from, for the stage target ("" for the last); an
// unbuildable file is an error naming the line.
func parseBuiltDockerfile(stdin io.Reader, path, target string) (*dockerfile.File, error) {
	src, err := readDockerfile(stdin, path)
	if err != nil {
		return nil, err
	}
	if errs := dockerfileErrors(path, src); len(errs) > 0 {
		return nil, errors.New(errs[0])
	}
	var opts []dockerfile.Option
	if target != "" {
		opts = append(opts, dockerfile.WithTarget(target))
	}
	f, err := dockerfile.Parse(path, src, opts...)
	if err != nil {
		var pe *dockerfile.ParseError
		if !errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", path, err) // name the file
		}
		return nil, err
	}
	return f, nil
}

// emitReport writes a rendered report to the file output (atomically) or,
// when output is "", to stdout.
func emitReport(stdout io.Writer, output string, data []byte) error {
	if output != "" {
		return writeReportAtomic(output, data)
	}
	if _, err := stdout.Write(data); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

// writeReportAtomic writes data to a temporary file beside path and renames
// it into place: readers see the old file or the new one, never a part.
// Errors name path, never the temporary file.
// A device or a fifo (/dev/stdout, a pipe made with mkfifo) is written
// into, never replaced; a symbolic link is followed, so that the file it
// names is replaced, not the link.
func writeReportAtomic(path string, data []byte) (err error) {
	target, direct := outputTarget(path)
	if direct {
		return writeInto(path, data)
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, pathErrCause(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("writing %s: %w", path, pathErrCause(err))
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// outputTarget is the file an output named path is written to: path, or
// the file a symbolic link at path names (which is replaced, not the
// link); direct when that is there and is neither a regular file nor a
// directory (a device, a fifo, a socket), to be written into rather than
// replaced.
func outputTarget(path string) (target string, direct bool) {
	target = path
	if real, err := filepath.EvalSymlinks(path); err == nil {
		target = real
	}
	// Stat follows what EvalSymlinks cannot name (/dev/stdout to a pipe
	// through /proc/self/fd/1).
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return path, true
	}
	return target, false
}

// writeInto writes data into path, which is there and is not a regular
// file.
func writeInto(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, pathErrCause(err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, pathErrCause(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, pathErrCause(err))
	}
	return nil
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorFor reports whether to colour output written to w: only on a
// terminal, and not with --no-color or NO_COLOR (https://no-color.org).
func colorFor(w io.Writer, noColor bool) bool {
	return !noColor && os.Getenv("NO_COLOR") == "" && isTerminalWriter(w)
}

// errorLine makes an error message one line: joined errors are separated
// by "; ".
func errorLine(err error) string {
	lines := strings.FieldsFunc(err.Error(), func(r rune) bool { return r == '\n' || r == '\r' })
	return strings.Join(lines, "; ")
}

// layerProgress draws a progress bar on stderr while layers are read. A nil
// *layerProgress (stderr is not a terminal) draws nothing.
type layerProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// newLayerProgress returns a progress bar on w when w is a terminal, else nil.
func newLayerProgress(w io.Writer) *layerProgress {
	if !isTerminalWriter(w) {
		return nil
	}
	return &layerProgress{w: w}
}

// set shows done of total layers read, and what is being done.
func (p *layerProgress) set(total, done int, desc string) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(80*time.Millisecond),
		)
	}
	if p.bar.GetMax() != total {
		p.bar.ChangeMax(total) // another phase of the work (fleet --packages)
	}
	p.bar.Describe(desc)
	_ = p.bar.Set(done) // drawing errors only lose the bar
}

// update is the account.WithProgress callback (never called concurrently).
func (p *layerProgress) update(pr account.Progress) {
	if p.bar == nil && pr.Done {
		return
	}
	p.set(pr.Layers, pr.LayersDone, fmt.Sprintf("reading layers (%s entries)", humanize.Comma(pr.Entries)))
}

// finish removes the bar, whether the work completed or failed.
func (p *layerProgress) finish() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Clear()
}
