package cli

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/gate"
	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/diff"
	"github.com/whittle/whittle/pkg/imageref"
)

// diffOptions are the flags of `whittle diff`.
type diffOptions struct {
	format     string
	output     string
	platform   string
	insecure   bool
	top        int
	depth      int
	jobs       int
	verify     bool
	noColor    bool
	thresholds gate.GrowthThresholds
	cache      cacheFlags
}

const diffLong = `Diff compares two images, OLD and NEW: what changed between their final
filesystems, path by path and rolled up by directory, by OS package (added,
removed, upgraded or downgraded, grown or shrunk) and by layer (shared, added,
removed), and how their figures moved.

OLD and NEW are any references analyze reads (docker-archive:PATH,
oci:DIR[:TAG], oci-archive:PATH[:TAG], docker-daemon:NAME[:TAG], docker://REF
or a bare REF, or an existing path).

The figures are analyze's (all byte counts are regular-file content, as tar
headers say): size (every layer, uncompressed), compressed (the layer blobs),
visible (the final filesystem), wasted, caches, files, layers; each with its
change, NEW minus OLD.

A path is added, removed or changed. What changes: its type, a regular file's
content (by size, or by content hash at equal size), which name of a
hard-linked file it is, its mode, its owner, a symbolic link's target. A
file's bytes count once, under its first name in path order, so that the
paths' byte changes add up to the change of visible bytes. The layer that
shipped a file does not matter: a rebuilt file with the same content is
unchanged.

Two images share a layer when its chain ID is the same (the same content on
the same layers below), as a container engine stores and pulls layers; the
compressed bytes of NEW's other layers are what a host holding OLD pulls. Each
layer is read once, and a layer both images hold once for both; every diff_id
is checked; memory grows with the number of paths, never with bytes.

Packages are attributed as analyze does (dpkg and apk databases; rpm is found
and reported as not read): a version change is an upgrade or a downgrade by
the package manager's own ordering of versions.

CI gate: --max-growth SIZE (20MB, 1.5GiB or bytes) fails when the size grows
by more than SIZE, --max-growth-ratio R when it grows by more than R times the
old size (0.05 is 5 %; an empty OLD counts as one byte). Each rule prints its
figure, threshold and verdict (JSON, Markdown and HTML hold them too); the
exit code is 1 when one fails.

--format markdown writes a report to paste into a pull-request comment:
the figures, the verdict, and the lists in collapsed sections.

Exit codes: 0 success (and every growth rule passed), 1 a growth rule failed,
2 an error (an image that cannot be read, a bad flag); the one line on stderr
names the image at fault.

See docs/diff.md for the guide and docs/schema/diff-v1.md for the JSON
fields.`

const diffExample = `  whittle diff app-1.4.tar app-1.5.tar
  whittle diff docker-daemon:app:main docker-daemon:app:pr-123 --format markdown -o comment.md
  whittle diff --max-growth 20MB --max-growth-ratio 0.05 registry.example.com/app:1.4 oci:build/layout:latest
  whittle diff --format json -o diff.json old.tar new.tar`

// NewCmdDiff builds `whittle diff`.
func NewCmdDiff() *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:          "diff OLD NEW",
		Short:        "Compare two images: what changed by path, by package and by layer; a CI gate on growth",
		Long:         diffLong,
		Example:      diffExample,
		Args:         argsBetween(2, 2, "OLD and NEW"),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	cmd.SetFlagErrorFunc(flagError)
	f.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: text, json, markdown or html (markdown for a pull-request comment; html one self-contained page)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout (- is stdout); without --format, FILE's extension chooses it: .json, .html, .md")
	f.StringVar(&o.platform, "platform", "", "pick `os/arch[/variant]` from multi-platform images (default: linux on this machine's architecture)")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP and unverified TLS to registries")
	f.IntVar(&o.top, "top", report.DefaultTop, "list the `N` biggest path, directory and package changes in text, markdown and html (0: all)")
	f.IntVar(&o.depth, "depth", diff.DefaultDepth, "roll paths up into directories of `N` names (/usr/lib/x86_64-linux-gnu is 3)")
	f.IntVar(&o.jobs, "jobs", 0, "read `N` layers of each image at once (0: one per CPU)")
	f.BoolVar(&o.verify, "verify-blobs", false, "also check the sha256 of every compressed layer blob against its manifest (diff_ids are always checked)")
	f.StringVar(&o.thresholds.MaxGrowth, "max-growth", "", "CI rule: fail when the size grows by more than `SIZE` (20MB, 1.5GiB or bytes)")
	f.StringVar(&o.thresholds.MaxGrowthRatio, "max-growth-ratio", "", "CI rule: fail when the size grows by more than `RATIO` of the old size (0.05 is 5 %)")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the output (colour is used only on a terminal, and not when NO_COLOR is set)")
	o.cache.add(f)
	return cmd
}

// runDiff runs the command. Every error is printed here as one line and
// turned into exit code 2; a failed growth rule is exit code 1.
func runDiff(cmd *cobra.Command, o *diffOptions, oldArg, newArg string) error {
	stderr := cmd.ErrOrStderr()
	fail := func(err error) error {
		fmt.Fprintf(stderr, "whittle: %s\n", errorLine(err))
		return withExitCode(ExitError)
	}
	o.format = formatForOutput(cmd, o.format, o.output, diffFormatsByExt)
	switch o.format {
	case "text", "json", "markdown", "html":
	default:
		return fail(fmt.Errorf("unknown --format %q (want text, json, markdown or html)", o.format))
	}
	if o.top < 0 {
		return fail(fmt.Errorf("diff: top must be 0 or more, not %d", o.top))
	}
	if o.depth < 1 {
		return fail(fmt.Errorf("diff: depth must be 1 or more, not %d", o.depth))
	}
	if o.jobs < 0 {
		return fail(fmt.Errorf("diff: jobs must be 0 or more, not %d", o.jobs))
	}
	if o.output == "-" {
		o.output = "" // stdout
	}
	rules, err := o.thresholds.Rules()
	if err != nil {
		return fail(err)
	}
	var refs [2]imageref.Ref
	for i, arg := range []string{oldArg, newArg} {
		if arg == "-" {
			return fail(fmt.Errorf("diff: standard input cannot be an image here (save the stream to a file first)"))
		}
		if refs[i], err = imageref.Parse(arg); err != nil {
			return fail(err)
		}
		if o.output != "" {
			if refuseOverwrite(refs[i], o.output) != nil {
				return fail(fmt.Errorf("diff: refusing to write the report over the image %s", refs[i]))
			}
		}
	}
	if o.output != "" {
		if err := checkOutputFile(o.output); err != nil {
			return fail(err)
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	lc, err := o.cache.open(stderr)
	if err != nil {
		return fail(err)
	}
	oldImg, err := refs[0].Image(ctx, imageref.WithPlatform(o.platform), imageref.WithInsecure(o.insecure))
	if err != nil {
		return fail(fmt.Errorf("old image: %w", err))
	}
	newImg, err := refs[1].Image(ctx, imageref.WithPlatform(o.platform), imageref.WithInsecure(o.insecure))
	if err != nil {
		return fail(fmt.Errorf("new image: %w", err))
	}
	dopts := []diff.Option{diff.WithReferences(oldArg, newArg), diff.WithBlobDigests(o.verify), diff.WithDepth(o.depth)}
	if o.jobs > 0 {
		dopts = append(dopts, diff.WithJobs(o.jobs))
	}
	if lc != nil {
		dopts = append(dopts, diff.WithLayerCache(lc))
	}
	bar := newLayerProgress(stderr)
	if bar != nil {
		dopts = append(dopts, diff.WithProgress(func(p diff.Progress) {
			if !p.Done {
				bar.set(p.Layers, p.LayersDone, "reading layers of both images")
			}
		}))
	}
	rep, err := diff.Diff(ctx, oldImg, newImg, dopts...)
	bar.finish()
	if err != nil {
		return fail(fmt.Errorf("diff: %w", err))
	}

	var outcome *gate.Outcome
	if len(rules) > 0 {
		g := gate.EvaluateDiff(rep, rules)
		outcome = &g
	}
	stdout := cmd.OutOrStdout()
	var buf bytes.Buffer
	color := o.output == "" && colorFor(stdout, o.noColor)
	topts := report.TextOptions{Top: o.top, Color: color}
	switch o.format {
	case "json":
		err = report.DiffJSON(&buf, rep, outcome)
	case "markdown":
		err = report.DiffMarkdown(&buf, rep, outcome, topts)
	case "html":
		err = report.DiffHTML(&buf, rep, outcome, topts)
	default:
		err = report.DiffText(&buf, rep, topts)
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
	// The verdict is in the report; text also prints it after the report,
	// as analyze does (on stderr when stdout is a document).
	gw := stdout
	switch {
	case o.format != "text" && o.output == "":
		gw = stderr
	case o.output == "":
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
