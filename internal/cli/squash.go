package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/whittle/whittle/internal/report"
	"github.com/whittle/whittle/pkg/imageref"
	"github.com/whittle/whittle/pkg/squash"
)

// squashOptions are the flags of `whittle squash`.
type squashOptions struct {
	tag         string
	base        string
	keepLayers  int
	keepSet     bool
	all         bool
	prune       []string
	compression string
	level       string
	dryRun      bool
	format      string
	platform    string
	insecure    bool
	tmpDir      string
	listPruned  bool
	force       bool
	maxTemp     string
}

const squashLong = `Squash rewrites an image without rebuilding it: the layers above the base
image are merged into one, so that bytes which ship but are not visible in the
final filesystem (overwritten, deleted, hidden by an opaque directory) are gone,
while the base image's layers stay untouched and shared with other images.

SRC and DST are image references: docker-archive:PATH, oci:DIR[:TAG],
oci-archive:PATH[:TAG], docker-daemon:NAME[:TAG], docker://REF (a registry),
or an existing path. A bare DST is an existing path, a new PATH.tar, or a
registry when it starts with a registry host (registry.example.com/app:1,
localhost:5000/app); any other bare name is refused, so that a typo never
pushes to Docker Hub. DST may not be SRC; SRC is only read.

DST replaces nothing unless --force: an existing archive, an image of the
same tag in an OCI layout, or a whole layout when no tag is given (with
--force it is written beside the old one and swapped in). A directory that is
not an OCI layout is never written into. DST is checked (its directory exists
and is writable, nothing would be replaced) before SRC is read.

Which layers are kept (the first that applies):
  --base REF         the layers the image shares with REF (by diff_id)
  --keep-layers N    the N lowest layers
  --all              none: every layer is merged
  annotations        org.opencontainers.image.base.name/digest, when the base
                     they name can be read from where SRC is (the same
                     registry, Docker Engine, or OCI layout)
  history            the base's last step: a layer made by docker import, or
                     the CMD/ENTRYPOINT a base image ends with
Otherwise squash stops and asks for one of the flags.

The result's final filesystem is identical to SRC's (paths, types, modes,
owners, mtimes, xattrs, links, content) unless --prune is given: --prune caches
also drops every known package-manager cache file of the merged layers (or
name categories: apt-lists,apt-archives,apk-cache,pip-cache,npm-cache,
yarn-cache,gem-cache,go-build-cache,dnf-cache,yum-cache,zypper-cache,tmp).
Config, env, cmd, entrypoint, labels and the rest of the config are kept;
history keeps one record per original step plus one for the merged layer.
The same input and options give the same digest.

The merged layer is compressed on all cores (--compression, and
--compression-level: gzip 1-9, zstd 1-22, or fastest, default, better, best);
its bytes depend only on the input, the codec and the level, never on the
number of cores.

--dry-run reads the layers and prints what would be saved, writing nothing:
the wasted bytes of the merged layers as analyze counts them, plus what
pruning would drop. When every layer belongs to the base it says "nothing to
save" and exits 0; without --dry-run that is an error (nothing to write).

--max-temp-bytes caps what squash writes: its temporary files (the merged
layers' visible content, uncompressed, and the merged layer) and DST's file
or layout, together; by default 90% of the free space when squash starts.
Temporary files have no name in --tmp-dir, so nothing is left there however
squash ends; DST is written beside its place (.NAME.whittle-tmp-PID-N) and
renamed into it; what a killed run left there is removed by the next.

Exit codes: 0 written (or reported, with --dry-run), 2 an error, 130 and 143
interrupted by SIGINT and SIGTERM (nothing is written then).`

// NewCmdSquash builds `whittle squash`.
func NewCmdSquash() *cobra.Command {
	var o squashOptions
	cmd := &cobra.Command{
		Use:   "squash SRC [DST]",
		Short: "Merge the layers above the base into one, dropping wasted bytes",
		Long:  squashLong,
		Args:  argsBetween(1, 2, "SRC and DST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && !o.dryRun {
				return fmt.Errorf("squash needs a destination (or --dry-run)")
			}
			o.keepSet = cmd.Flags().Changed("keep-layers")
			return runSquash(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, &o)
		},
	}
	cmd.SetFlagErrorFunc(flagError)
	fl := cmd.Flags()
	fl.StringVar(&o.tag, "tag", "", "name the result as `NAME` (RepoTag of an archive, tag in a layout or the daemon)")
	fl.StringVar(&o.base, "base", "", "base image `REF`: keep the layers SRC shares with it")
	fl.IntVar(&o.keepLayers, "keep-layers", 0, "keep the `N` lowest layers, merge the rest")
	fl.BoolVar(&o.all, "all", false, "merge every layer, the base's too")
	fl.StringSliceVar(&o.prune, "prune", nil, "also drop the merged layers' cache files: caches (all) or a list of `categories`")
	fl.StringVar(&o.compression, "compression", "gzip", "compress the merged layer with `ALGORITHM`: gzip or zstd (zstd needs an OCI image)")
	fl.StringVar(&o.level, "compression-level", "default", "compression `LEVEL`: gzip 1-9, zstd 1-22, or fastest, default, better, best")
	fl.BoolVar(&o.dryRun, "dry-run", false, "report what would be saved, write nothing")
	fl.StringVarP(&o.format, "format", "f", "text", "output `FORMAT`: text or json")
	fl.StringVar(&o.platform, "platform", "", "pick `os/arch[/variant]` from a multi-platform SRC (default: linux on this machine's architecture)")
	fl.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP and unverified TLS to registries")
	fl.StringVar(&o.tmpDir, "tmp-dir", "", "`DIR` for temporary files (default: the system's)")
	fl.BoolVar(&o.listPruned, "list-pruned", false, "list every pruned path in text output")
	addMaxTemp(fl, &o.maxTemp, "temporary files and DST, together")
	fl.BoolVar(&o.force, "force", false, "replace an existing DST: an archive, a layout's image of the same tag, or a whole layout when no tag is given")
	return cmd
}

func runSquash(ctx context.Context, stdout, stderr io.Writer, args []string, o *squashOptions) error {
	err := doSquash(ctx, stdout, stderr, args, o)
	return interrupted(ctx, "squash", tempHint(err))
}

// nothingWritten says what an interrupt leaves of dst: nothing.
func nothingWritten(dst imageref.Ref) string {
	switch dst.Kind() {
	case imageref.Registry:
		return "nothing was pushed to " + dst.Name()
	case imageref.Daemon:
		return "nothing was loaded into the Docker Engine"
	case imageref.Layout:
		if _, err := os.Stat(filepath.Join(dst.Path(), "index.json")); err == nil {
			return "the index of " + dst.Path() + " is as it was"
		}
	}
	return "nothing was written to " + dst.Path()
}

func doSquash(ctx context.Context, stdout, stderr io.Writer, args []string, o *squashOptions) error {
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("unknown --format %q (want text or json)", o.format)
	}
	var chosen []string
	for _, c := range []struct {
		set  bool
		flag string
	}{{o.base != "", "--base"}, {o.keepSet, "--keep-layers"}, {o.all, "--all"}} {
		if c.set {
			chosen = append(chosen, c.flag)
		}
	}
	if len(chosen) > 1 {
		return fmt.Errorf("%s exclude each other: give only one of --base, --keep-layers or --all", strings.Join(chosen, " and "))
	}
	if c := squash.Compression(o.compression); c != squash.Gzip && c != squash.Zstd {
		return fmt.Errorf("unknown compression %q (gzip or zstd)", c)
	}
	level, err := squash.ParseCompressionLevel(squash.Compression(o.compression), o.level)
	if err != nil {
		return fmt.Errorf("--compression-level: %w", err)
	}
	src, err := imageref.Parse(args[0])
	if err != nil {
		return err
	}
	refOpts := []imageref.Option{imageref.WithInsecure(o.insecure)}
	if o.platform != "" {
		refOpts = append(refOpts, imageref.WithPlatform(o.platform))
	}
	wopts := append([]imageref.Option{imageref.WithReplace(o.force)}, refOpts...)
	if o.tag != "" {
		wopts = append(wopts, imageref.WithTag(o.tag))
	}
	var dst imageref.Ref
	if len(args) == 2 {
		dst, err = imageref.ParseDestination(args[1])
		if err != nil {
			return err
		}
		if dst.Same(src) {
			return fmt.Errorf("%s: %w", dst, squash.ErrSameRef)
		}
		if !o.dryRun {
			setActivity(ctx, "before reading "+src.String(), nothingWritten(dst))
			if err := dst.CheckWrite(ctx, wopts...); err != nil {
				return forceHint(err)
			}
		}
	}
	// One budget for everything squash writes: the Docker Engine's image
	// when SRC is there, the spool, the merged layer and DST.
	dirs := []string{o.tmpDir}
	if len(args) == 2 && !o.dryRun {
		switch dst.Kind() {
		case imageref.Archive, imageref.OCIArchive, imageref.Layout:
			dirs = append(dirs, filepath.Dir(filepath.Clean(dst.Path())))
		}
	}
	budget, err := tempBudget(o.maxTemp, dirs...)
	if err != nil {
		return err
	}
	wopts = append(wopts, imageref.WithBudget(budget))
	srcOpts := append(append([]imageref.Option(nil), refOpts...), imageref.WithBudget(budget))
	setActivity(ctx, "while opening "+src.String(), "")
	img, err := src.Image(ctx, srcOpts...)
	if err != nil {
		return err // imageref's error names the image ("opening SRC: ...")
	}
	opts := []squash.Option{
		squash.WithCompression(squash.Compression(o.compression)),
		squash.WithCompressionLevel(level),
		squash.WithDryRun(o.dryRun),
		squash.WithTempDir(o.tmpDir),
		squash.WithBudget(budget),
		squash.WithAll(o.all),
		squash.WithBaseResolver(baseResolver(src, refOpts)),
	}
	if o.keepSet {
		opts = append(opts, squash.WithKeepLayers(o.keepLayers))
	}
	if len(o.prune) > 0 {
		opts = append(opts, squash.WithPrune(o.prune...))
	}
	if o.base != "" {
		bref, err := imageref.Parse(o.base)
		if err != nil {
			return fmt.Errorf("parsing --base: %w", err)
		}
		base, err := bref.Image(ctx, refOpts...)
		if err != nil {
			return fmt.Errorf("--base: %w", err)
		}
		opts = append(opts, squash.WithBase(base))
	}
	bar := newSquashProgress(stderr)
	opts = append(opts, squash.WithProgress(func(p squash.Progress) {
		switch {
		case p.Phase == squash.PhaseRead && p.LayersDone < p.Layers:
			// Read top first: the first read is the image's last layer.
			setActivity(ctx, fmt.Sprintf("while reading layer %d of %d to merge", p.LayersDone+1, p.Layers), "")
		case p.Phase == squash.PhaseWrite || !o.dryRun:
			setActivity(ctx, "while writing the merged layer", "")
		}
		if bar != nil {
			bar.update(p)
		}
	}))
	res, err := squash.Squash(ctx, img, opts...)
	bar.finish()
	if err != nil {
		return err
	}
	defer res.Close()
	var digest v1.Hash
	if res.Image != nil {
		setActivity(ctx, "while writing "+dst.String(), "")
		if err := dst.Write(ctx, res.Image, wopts...); err != nil {
			return forceHint(err) // imageref's error names the destination ("writing DST: ...")
		}
		if digest, err = res.Image.Digest(); err != nil {
			return fmt.Errorf("computing digest: %w", err)
		}
		if dst.Kind() == imageref.Layout || dst.Kind() == imageref.OCIArchive {
			// A layout stores a Docker manifest with OCI media types, so
			// its digest is not the result's: report the one written.
			digest = layoutDigest(ctx, dst, o.tag)
		}
	}
	if o.format == "json" {
		// Lists are [] when empty, never null, for jq and schema readers.
		if res.Plan.Kept == nil {
			res.Plan.Kept = []squash.LayerInfo{}
		}
		if res.Plan.Merged == nil {
			res.Plan.Merged = []squash.LayerInfo{}
		}
		doc := struct {
			Source      string `json:"source"`
			Destination string `json:"destination,omitempty"`
			Digest      string `json:"digest,omitempty"`
			*squash.Result
		}{Source: src.String(), Result: res}
		if len(args) == 2 {
			doc.Destination = dst.String()
		}
		if res.Image != nil {
			doc.Digest = digest.String()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	printSquash(stdout, src, dst, len(args) == 2, digest, res, o)
	return nil
}

// baseResolver reads the base an annotation names only from where SRC
// itself is (the same registry, the same Docker Engine, or the same OCI
// layout by digest), so that squash never reaches out to a registry the
// user did not name.
func baseResolver(src imageref.Ref, refOpts []imageref.Option) squash.BaseResolver {
	return func(ctx context.Context, name, digest string) (v1.Image, error) {
		if name == "" {
			return nil, fmt.Errorf("no base name")
		}
		s := name
		if digest != "" && !strings.Contains(name, "@") {
			if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
				s = s[:i]
			}
			s += "@" + digest
		}
		var ref imageref.Ref
		var err error
		switch src.Kind() {
		case imageref.Registry:
			ref, err = imageref.Parse("docker://" + s)
			if err == nil && registryOf(ref.Name()) != registryOf(src.Name()) {
				return nil, fmt.Errorf("base %s is in another registry", name)
			}
		case imageref.Daemon:
			ref, err = imageref.Parse("docker-daemon:" + name)
		case imageref.Layout:
			// The base may be in the same layout, found by its digest.
			h, err := v1.NewHash(digest)
			if err != nil {
				return nil, fmt.Errorf("base %s: %w", name, err)
			}
			return layout.Path(src.Path()).Image(h)
		default:
			return nil, fmt.Errorf("base %s cannot be read from %s", name, src)
		}
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return ref.Image(ctx, refOpts...)
	}
}

func registryOf(name string) string {
	host, _, _ := strings.Cut(name, "/")
	return host
}

func printSquash(w io.Writer, src, dst imageref.Ref, hasDst bool, digest v1.Hash, res *squash.Result, o *squashOptions) {
	p := res.Plan
	fmt.Fprintf(w, "source: %s\n", src)
	fmt.Fprintf(w, "base:   %s (%s)\n", p.Reason, p.BaseFrom)
	fmt.Fprintf(w, "  %-6s %3s  %-19s %10s  %s\n", "", "#", "digest", "compressed", "created by")
	row := func(what string, l squash.LayerInfo) {
		fmt.Fprintf(w, "  %-6s %3d  %-19.19s %10s  %s\n", what, l.Index, l.Digest, humanize.Bytes(uint64(l.Size)), report.ShortCreatedBy(l.CreatedBy, 70))
	}
	for _, l := range p.Kept {
		row("kept", l)
	}
	for _, l := range p.Merged {
		row("merged", l)
	}
	if len(p.Merged) == 0 {
		fmt.Fprintf(w, "nothing to save: all %d layers belong to the base, so there is nothing to merge\n", len(p.Kept))
		return
	}
	verb := "saved"
	if res.DryRun {
		verb = "would save"
	}
	var pruned int64
	for _, c := range res.Pruned {
		pruned += c.Bytes
	}
	fmt.Fprintf(w, "%s %s (%s bytes): wasted %s, pruned %s; %s of content in %s -> %s\n", verb,
		humanize.Bytes(uint64(res.SavedBytes)), humanize.Comma(res.SavedBytes), humanize.Bytes(uint64(res.WastedBytes)),
		humanize.Bytes(uint64(pruned)), humanize.Bytes(uint64(res.InBytes)),
		fmt.Sprintf("%d merged %s", len(p.Merged), plural(int64(len(p.Merged)), "layer", "layers")), humanize.Bytes(uint64(res.OutBytes)))
	if res.CopiedBytes > 0 {
		fmt.Fprintf(w, "  copied %s (%s bytes) of kept layers' files: hard links keep them where a merged layer replaced their first name\n",
			humanize.Bytes(uint64(res.CopiedBytes)), humanize.Comma(res.CopiedBytes))
	}
	for _, c := range res.Pruned {
		fmt.Fprintf(w, "  pruned %-14s %6d %-5s  %s (%s bytes)\n", c.Category, c.Files, plural(c.Files, "file", "files"), humanize.Bytes(uint64(c.Bytes)), humanize.Comma(c.Bytes))
		if o.listPruned {
			for _, path := range c.Paths {
				fmt.Fprintf(w, "    /%s\n", path)
			}
		}
	}
	if res.Layer != nil {
		fmt.Fprintf(w, "merged layer: %s, %s compressed, %d entries (whiteouts and opaque markers: %d)\n",
			res.Layer.Digest, humanize.Bytes(uint64(res.Layer.Size)), res.Entries, res.Markers)
	}
	if hasDst && !res.DryRun {
		fmt.Fprintf(w, "wrote %s\n", dst)
		if digest != (v1.Hash{}) {
			fmt.Fprintf(w, "digest: %s\n", digest)
		}
	}
}

// squashProgress draws a progress bar on stderr while layers are read and
// the merged layer is written. A nil *squashProgress (stderr is not a
// terminal) draws nothing.
type squashProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	phase string
	// rate measures the write phase's rate (progressbar's own counts the
	// bytes done before the bar's first draw as if they took no time).
	rate byteRate
	now  func() time.Time
}

func newSquashProgress(w io.Writer) *squashProgress {
	if !isTerminalWriter(w) {
		return nil
	}
	return &squashProgress{w: w, now: time.Now}
}

// update is the squash.WithProgress callback (never called concurrently).
func (p *squashProgress) update(pr squash.Progress) {
	if pr.Done {
		return
	}
	var desc string
	if pr.Phase == squash.PhaseWrite {
		if p.phase != pr.Phase {
			p.rate = byteRate{}
		}
		desc = "writing the merged layer (" + humanize.Bytes(uint64(max(pr.TotalBytes, 0))) + ")"
		if rate := p.rate.text(pr.Bytes, p.now()); rate != "" {
			desc += " at " + rate
		}
	}
	if p.bar != nil && p.phase == pr.Phase && desc != "" {
		p.bar.Describe(desc) // drawn now, or with the next draw
	}
	if p.bar == nil || p.phase != pr.Phase {
		p.finish()
		p.phase = pr.Phase
		limit := int64(pr.Layers)
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(80 * time.Millisecond),
		}
		if pr.Phase == squash.PhaseWrite {
			// The rate goes in the description (see byteRate):
			// progressbar's own counts the bytes written before its
			// first draw as written in no time.
			limit = pr.TotalBytes
		} else {
			desc = "reading layers"
			opts = append(opts, progressbar.OptionShowCount())
		}
		p.bar = progressbar.NewOptions64(limit, append(opts, progressbar.OptionSetDescription(desc))...)
	}
	if pr.Phase == squash.PhaseWrite {
		_ = p.bar.Set64(pr.Bytes) // drawing errors only lose the bar
		return
	}
	_ = p.bar.Set(pr.LayersDone)
}

// finish removes the bar, whether the squash completed or failed.
func (p *squashProgress) finish() {
	if p == nil || p.bar == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Clear()
	p.bar = nil
}

// plural returns one when n is 1, else many.
func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// forceHint adds how to replace a destination to an error saying it exists.
func forceHint(err error) error {
	if errors.Is(err, imageref.ErrExists) {
		return fmt.Errorf("%w (use --force to replace it)", err)
	}
	return err
}

// layoutDigest reads back the digest of the image just written to the OCI
// layout or OCI archive dst (under tag when dst names none). It returns the
// zero hash when the image cannot be told apart there: no digest is better
// than a wrong one.
func layoutDigest(ctx context.Context, dst imageref.Ref, tag string) v1.Hash {
	if dst.Tag() == "" && tag != "" {
		r, err := imageref.Parse(dst.Kind().String() + ":" + dst.Path() + ":" + tag)
		if err != nil {
			return v1.Hash{}
		}
		dst = r
	}
	img, err := dst.Image(ctx)
	if err != nil {
		return v1.Hash{}
	}
	h, err := img.Digest()
	if err != nil {
		return v1.Hash{}
	}
	return h
}
