package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/fleet"
	"github.com/whittle/whittle/pkg/imageref"
)

// fleetOptions are the flags of `whittle fleet`.
type fleetOptions struct {
	format   string
	output   string
	from     string
	platform string
	insecure bool
	top      int
	jobs     int
	verify   bool
	noColor  bool
	packages bool
	limits   limitFlags
	cache    cacheFlags
}

const fleetLong = `Fleet reads several images and accounts for them together: what a host that
holds them all stores and pulls, with the layers they share counted once, what
each image holds on its own, and which base layer stacks they share.

IMAGE is any reference analyze reads (docker-archive:PATH, oci:DIR[:TAG],
docker-daemon:NAME[:TAG], docker://REF or a bare REF, or an existing path);
--from FILE adds one reference per line (blank lines and # comments skipped;
- reads standard input).

An image given more than once (the same image ID, the config digest, under
any reference: a tag given twice, an archive and the registry it was pushed
to) is one image: it is counted once, under the first reference, and the
report names the others.

Two images share a layer when its chain ID is the same: the same content on
the same layers below (the OCI image specification's ChainID), which is how
a container engine stores and pulls layers. Each distinct layer blob is read
once, however many images hold it, and its diff_id checked.

The figures ("disk" is file content uncompressed, as analyze's size; "pull"
is the layer blobs as stored):
  images, each alone   the sum of every image's size
  footprint            each distinct layer counted once
  saved by sharing     the difference
  only its own         an image's layers no other image of the fleet holds
  shared bases         for each set of two images or more, the deepest stack
                       of bottom layers they all share; saved is its size
                       for every image but one (a smaller set of the same
                       images may share a deeper base, listed on its own)
  base images in use   each image's base image, from its history (as squash
                       finds it), and what moving every image onto each
                       base would save: the other bases' layers it does not
                       hold, each once (an estimate: own layers keep their
                       size)

--packages also attributes every visible byte of each image to the OS
package that owns it, as analyze does (dpkg and apk; rpm is found and
reported as not read), and lists every package across the fleet:
  images               the images that hold it, and its versions
  layers               the distinct layers (chain IDs) that installed it: 1
                       when the images hold it from one shared layer
  stored               its bytes each distinct layer counted once: what a
                       host holding every image stores of it
  each alone           the sum of its bytes in every image
A package stored more than once is one a shared base could hold once. It
merges each image's filesystem, one image at a time, as analyze does: each
distinct layer is still read once (and the fleet's figures are the same),
but memory grows with the paths of the image being merged, and an image
analyze refuses (a hard link to nothing) is refused.

Exit codes: 0 success, 2 an error (an image that cannot be read, a bad flag).

See docs/fleet.md for the guide and docs/schema/fleet-v1.md for the JSON
fields.`

const fleetExample = `  whittle fleet docker-daemon:api:1.4 docker-daemon:worker:1.4 docker-daemon:web:2.0
  whittle fleet --from images.txt --format json -o fleet.json
  whittle fleet registry.example.com/team/api:latest registry.example.com/team/web:latest`

// NewCmdFleet builds `whittle fleet`.
func NewCmdFleet() *cobra.Command {
	o := &fleetOptions{}
	cmd := &cobra.Command{
		Use:          "fleet IMAGE...",
		Short:        "Account for several images together: shared layers counted once, shared bases",
		Long:         fleetLong,
		Example:      fleetExample,
		Args:         argsBetween(0, -1, "IMAGE..."),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFleet(cmd, o, args)
		},
	}
	f := cmd.Flags()
	cmd.SetFlagErrorFunc(flagError)
	f.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: text, json, or html (one self-contained page with charts)")
	f.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` (atomically) instead of stdout (- is stdout); without --format, FILE's extension chooses it: .json, .html")
	f.StringVar(&o.from, "from", "", "read image references from `FILE`, one per line (- for standard input)")
	f.StringVar(&o.platform, "platform", "", "pick `os/arch[/variant]` from multi-platform images (default: linux on this machine's architecture)")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP and unverified TLS to registries")
	f.IntVar(&o.top, "top", report.DefaultTop, "list the `N` biggest shared bases and bases in use in text and html (0: all)")
	f.IntVar(&o.jobs, "jobs", 0, "read `N` layers at once (0: one per CPU)")
	f.BoolVar(&o.verify, "verify-blobs", false, "also check the sha256 of every compressed layer blob against its manifest (diff_ids are always checked)")
	f.BoolVar(&o.packages, "packages", false, "also attribute each image's bytes to OS packages and list every package across the fleet: its images, versions, the layers that installed it and the bytes stored")
	f.BoolVar(&o.noColor, "no-color", false, "never colour the output (colour is used only on a terminal, and not when NO_COLOR is set)")
	o.limits.add(f)
	o.cache.add(f)
	return cmd
}

// runFleet runs the command. Every error is printed here as one line and
// turned into exit code 2.
func runFleet(cmd *cobra.Command, o *fleetOptions, args []string) error {
	stderr := cmd.ErrOrStderr()
	fail := func(err error) error {
		fmt.Fprintf(stderr, "whittle: %s\n", errorLine(err))
		return withExitCode(ExitError)
	}
	o.format = formatForOutput(cmd, o.format, o.output, imageFormatsByExt)
	if o.format != "text" && o.format != "json" && o.format != "html" {
		return fail(fmt.Errorf("unknown --format %q (want text, json or html)", o.format))
	}
	if o.top < 0 {
		return fail(fmt.Errorf("fleet: top must be 0 or more, not %d", o.top))
	}
	if o.jobs < 0 {
		return fail(fmt.Errorf("fleet: jobs must be 0 or more, not %d", o.jobs))
	}
	if o.output == "-" {
		o.output = "" // stdout
	}
	names := append([]string(nil), args...)
	if o.from != "" {
		more, err := readImageList(o.from, cmd.InOrStdin())
		if err != nil {
			return fail(err)
		}
		names = append(names, more...)
	}
	if len(names) == 0 {
		return fail(fmt.Errorf("fleet wants one IMAGE or more, as arguments or with --from (see whittle fleet --help)"))
	}
	refs := make([]imageref.Ref, len(names))
	for i, n := range names {
		ref, err := imageref.Parse(n)
		if err != nil {
			return fail(err)
		}
		if o.output != "" {
			if err := refuseOverwrite(ref, o.output); err != nil {
				return fail(err)
			}
		}
		refs[i] = ref
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
	layerLimits, refLimits, err := o.limits.limits()
	if err != nil {
		return fail(err)
	}
	netOpts, err := o.limits.sourceOptions(refLimits)
	if err != nil {
		return fail(err)
	}
	lc, err := o.cache.open(stderr)
	if err != nil {
		return fail(err)
	}
	images := make([]fleet.Image, len(refs))
	for i, ref := range refs {
		img, err := ref.Image(ctx, append([]imageref.Option{imageref.WithPlatform(o.platform), imageref.WithInsecure(o.insecure)}, netOpts...)...)
		if err != nil {
			return fail(limitHint(err))
		}
		images[i] = fleet.Image{Reference: names[i], Image: img}
	}
	fopts := []fleet.Option{fleet.WithBlobDigests(o.verify), fleet.WithLayerLimits(layerLimits), fleet.WithPackages(o.packages)}
	if o.jobs > 0 {
		fopts = append(fopts, fleet.WithJobs(o.jobs))
	}
	if lc != nil {
		fopts = append(fopts, fleet.WithLayerCache(lc))
	}
	bar := newLayerProgress(stderr)
	if bar != nil {
		fopts = append(fopts, fleet.WithProgress(func(p fleet.Progress) {
			if p.Images > 0 {
				bar.set(p.Layers, p.LayersDone, fmt.Sprintf("reading layers of image %d of %d", min(p.ImagesDone+1, p.Images), p.Images))
				return
			}
			bar.set(p.Layers, p.LayersDone, "reading layers")
		}))
	}
	rep, err := fleet.Analyze(ctx, images, fopts...)
	bar.finish()
	if err != nil {
		return fail(fmt.Errorf("fleet: %w", limitHint(err)))
	}

	stdout := cmd.OutOrStdout()
	var buf bytes.Buffer
	switch o.format {
	case "json":
		err = report.FleetJSON(&buf, rep)
	case "html":
		err = report.FleetHTML(&buf, rep, report.TextOptions{Top: o.top})
	default:
		color := o.output == "" && colorFor(stdout, o.noColor)
		err = report.FleetText(&buf, rep, report.TextOptions{Top: o.top, Color: color})
	}
	if err != nil {
		return fail(err)
	}
	if err := emitReport(stdout, o.output, buf.Bytes()); err != nil {
		return fail(err)
	}
	return nil
}

// readImageList reads image references, one per line, from path ("-":
// stdin); blank lines and lines starting with # are skipped.
func readImageList(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading --from: %w", err)
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --from %s: %w", path, err)
	}
	return out, nil
}
