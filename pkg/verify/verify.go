package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/diff"
)

// Options configure Verify.
type Options struct {
	// Engine builds the images (required).
	Engine Engine
	// Context is the build context directory (required). Nothing is
	// written into it.
	Context string
	// Name is the Dockerfile's base name, given to both temporary copies
	// so that a Dockerfile-specific ignore file (Ignore) applies to both
	// (default "Dockerfile").
	Name string
	// Ignore, when not nil, is the content of NAME.dockerignore found
	// beside the original Dockerfile; it is put beside both copies.
	Ignore []byte
	// BuildArgs are KEY=VALUE build arguments, Network the build's
	// network mode ("" for the engine's default), Target the stage to
	// build ("" for the last): passed to both builds alike.
	BuildArgs []string
	Network   string
	Target    string
	// Tag names the two images: Tag+":original" and Tag+":fixed"
	// (default "whittle-verify-" and 12 random hex digits).
	Tag string
	// KeepImages keeps the two images in the engine; otherwise they are
	// removed when Verify returns, whatever happens.
	KeepImages bool
	// Progress receives the steps and the engine's build output; nil
	// discards them.
	Progress io.Writer
	// DiffOptions are passed to diff.Diff (jobs, blob digests).
	DiffOptions []diff.Option
}

// Result is what Verify found: plain data, no rendering.
type Result struct {
	// Engine names the engine that built the images.
	Engine string `json:"engine"`
	// Original and Fixed are the two images.
	Original Image `json:"original"`
	Fixed    Image `json:"fixed"`
	// Saved is Original's figures minus Fixed's.
	Saved Saved `json:"saved"`
	// Harmless is true when no path disappeared or changed outside the
	// known categories (Suspect is empty).
	Harmless bool `json:"harmless"`
	// Suspect lists every path of Original that is gone or changed in
	// Fixed and lies in no known category (Classify): a possible change
	// in behaviour. The largest byte change first, then in path order.
	Suspect []Path `json:"suspect"`
	// Expected sums the paths gone or changed inside the known
	// categories, by category, in the order kind, then name.
	Expected []Category `json:"expected"`
	// Added counts the paths only Fixed holds, and their bytes.
	Added Count `json:"added"`
	// Packages lists the OS packages that differ (diff.PackageChanges'
	// items): a package gone from Fixed is a change of what it holds.
	Packages []diff.PackageChange `json:"packages"`
	// ImagesKept is true when the images were left in the engine
	// (Options.KeepImages).
	ImagesKept bool `json:"images_kept"`
	// Cleanup lists what could not be removed afterwards (an image the
	// engine would not remove); empty when everything was.
	Cleanup []string `json:"cleanup,omitempty"`
	// Diff is the whole comparison (not part of the JSON document).
	Diff *diff.Report `json:"-"`
}

// Image is one of the two built images, with analyze's figures (see
// diff.Figures).
type Image struct {
	// Tag is the name the engine gave it.
	Tag       string `json:"tag"`
	SizeBytes int64  `json:"size_bytes"`
	// CompressedBytes is the layer blobs as the engine gave them out;
	// CompressedKnown is false when some layer came uncompressed (`docker
	// save` writes plain tars): the figure then is the tars' own size.
	CompressedBytes int64 `json:"compressed_bytes"`
	CompressedKnown bool  `json:"compressed_known"`
	VisibleBytes    int64 `json:"visible_bytes"`
	Files           int64 `json:"files"`
	Layers          int   `json:"layers"`
}

// Saved is what the repair saves: Original's figure minus Fixed's
// (negative when Fixed is bigger).
type Saved struct {
	SizeBytes       int64 `json:"size_bytes"`
	CompressedBytes int64 `json:"compressed_bytes"`
	// CompressedKnown is true when both images' compressed figures are.
	CompressedKnown bool  `json:"compressed_known"`
	VisibleBytes    int64 `json:"visible_bytes"`
}

// Path is one path gone or changed outside the known categories.
type Path struct {
	// Path is absolute; Change is diff.Removed or diff.Changed; What
	// what changed (diff.PathChange.What); Type the path's type in
	// Original.
	Path   string   `json:"path"`
	Change string   `json:"change"`
	What   []string `json:"what"`
	Type   string   `json:"type"`
	// OldBytes and NewBytes are what it counts in each image's visible
	// bytes (0 where absent).
	OldBytes int64 `json:"old_bytes"`
	NewBytes int64 `json:"new_bytes"`
}

// Category sums the paths gone or changed in one known category.
type Category struct {
	// Kind is KindCache, KindDocumentation or KindPackageManager; Name
	// the category ("apt-lists", "man", "dpkg", ...).
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Removed int    `json:"removed"`
	Changed int    `json:"changed"`
	// OldBytes and NewBytes are the paths' bytes in each image.
	OldBytes int64 `json:"old_bytes"`
	NewBytes int64 `json:"new_bytes"`
}

// Count is a number of paths and their bytes.
type Count struct {
	Paths int   `json:"paths"`
	Bytes int64 `json:"bytes"`
}

// Verify builds original and fixed (two Dockerfiles) with opts.Engine in
// opts.Context, compares the images, and sorts what disappeared or
// changed. It writes the two Dockerfiles to a temporary directory outside
// the context, builds them under unique tags, and removes the images
// when it returns unless opts.KeepImages.
func Verify(ctx context.Context, original, fixed []byte, opts Options) (res *Result, err error) {
	if opts.Engine == nil {
		return nil, errors.New("verify: no engine")
	}
	if opts.Context == "" {
		return nil, errors.New("verify: no build context")
	}
	ctxDir, err := filepath.Abs(opts.Context)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", opts.Context, err)
	}
	if fi, err := os.Stat(ctxDir); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", opts.Context)
	}
	name := opts.Name
	if name == "" {
		name = "Dockerfile"
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("verify: Dockerfile name %q must be a base name", name)
	}
	tag := opts.Tag
	if tag == "" {
		tag = "whittle-verify-" + randomHex(6)
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}

	tmp, err := os.MkdirTemp("", "whittle-verify-")
	if err != nil {
		return nil, fmt.Errorf("making a temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if within(tmp, ctxDir) {
		return nil, fmt.Errorf("the temporary directory %s is inside the build context %s: set TMPDIR to a directory outside it", tmp, ctxDir)
	}

	res = &Result{Engine: opts.Engine.Name(), ImagesKept: opts.KeepImages}
	sides := []struct {
		which string
		src   []byte
		tag   string
		built *Built
	}{{"original", original, tag + ":original", nil}, {"fixed", fixed, tag + ":fixed", nil}}
	defer func() {
		for _, s := range sides {
			if s.built != nil && s.built.Release != nil {
				s.built.Release()
			}
		}
		if opts.KeepImages {
			return
		}
		// Remove even when ctx is done: the images are ours.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		for _, s := range sides {
			if s.built == nil {
				continue
			}
			fmt.Fprintf(progress, "removing %s\n", s.tag)
			if rerr := opts.Engine.Remove(rctx, s.tag); rerr != nil {
				msg := fmt.Sprintf("%s: %v", s.tag, rerr)
				if res != nil {
					res.Cleanup = append(res.Cleanup, msg)
				} else {
					fmt.Fprintf(progress, "could not remove %s\n", msg)
				}
			}
		}
	}()

	for i := range sides {
		s := &sides[i]
		dir := filepath.Join(tmp, s.which)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("writing the %s Dockerfile: %w", s.which, err)
		}
		df := filepath.Join(dir, name)
		if err := os.WriteFile(df, s.src, 0o600); err != nil {
			return nil, fmt.Errorf("writing the %s Dockerfile: %w", s.which, err)
		}
		if opts.Ignore != nil {
			if err := os.WriteFile(df+".dockerignore", opts.Ignore, 0o600); err != nil {
				return nil, fmt.Errorf("writing the %s Dockerfile's ignore file: %w", s.which, err)
			}
		}
		fmt.Fprintf(progress, "building the %s Dockerfile with %s as %s\n", s.which, opts.Engine.Name(), s.tag)
		start := time.Now()
		b, err := opts.Engine.Build(ctx, Build{
			Dockerfile: df, Context: ctxDir, Tag: s.tag,
			Network: opts.Network, Target: opts.Target, BuildArgs: opts.BuildArgs,
			Output: progress,
		})
		if err != nil {
			if ctx.Err() != nil && !opts.KeepImages {
				// Interrupted: the engine may still tag the image.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				_ = opts.Engine.Remove(rctx, s.tag)
				cancel()
			}
			return nil, fmt.Errorf("building the %s Dockerfile: %w", s.which, err)
		}
		if b == nil || b.Image == nil {
			return nil, fmt.Errorf("building the %s Dockerfile: the engine gave no image", s.which)
		}
		s.built = b
		fmt.Fprintf(progress, "built the %s Dockerfile in %s\n", s.which, time.Since(start).Round(100*time.Millisecond))
	}

	fmt.Fprintf(progress, "comparing %s and %s\n", sides[0].tag, sides[1].tag)
	dopts := append([]diff.Option{diff.WithReferences(sides[0].tag, sides[1].tag)}, opts.DiffOptions...)
	rep, err := diff.Diff(ctx, sides[0].built.Image, sides[1].built.Image, dopts...)
	if err != nil {
		return nil, fmt.Errorf("comparing the images: %w", err)
	}
	res.Diff = rep
	var known [2]bool
	for i, s := range sides {
		if known[i], err = compressedKnown(s.built.Image); err != nil {
			return nil, fmt.Errorf("reading the %s image: %w", s.which, err)
		}
		known[i] = known[i] && !s.built.Uncompressed
	}
	res.Original = imageOf(sides[0].tag, rep.Old, known[0])
	res.Fixed = imageOf(sides[1].tag, rep.New, known[1])
	res.Saved = Saved{
		SizeBytes:       -rep.Change.SizeBytes,
		CompressedBytes: -rep.Change.CompressedBytes,
		CompressedKnown: known[0] && known[1],
		VisibleBytes:    -rep.Change.VisibleBytes,
	}
	classify(res, rep)
	return res, nil
}

// Classify sorts a comparison's paths into res: Suspect, Expected and
// Added, and sets Harmless and Packages.
func classify(res *Result, rep *diff.Report) {
	res.Suspect = []Path{}
	res.Expected = []Category{}
	res.Packages = append([]diff.PackageChange{}, rep.Packages.Items...)
	cats := map[[2]string]*Category{}
	for _, it := range rep.Paths.Items {
		if it.Change == diff.Added {
			res.Added.Paths++
			res.Added.Bytes += it.DeltaBytes
			continue
		}
		var oldB, newB int64
		typ, dir := "", false
		if it.Old != nil {
			oldB, typ, dir = it.Old.Bytes, it.Old.Type, it.Old.Type == diff.TypeDir
		}
		if it.New != nil {
			newB = it.New.Bytes
			dir = dir || it.New.Type == diff.TypeDir
		}
		kind, name := Classify(it.Path, dir)
		if kind == "" {
			res.Suspect = append(res.Suspect, Path{Path: it.Path, Change: it.Change, What: append([]string{}, it.What...),
				Type: typ, OldBytes: oldB, NewBytes: newB})
			continue
		}
		k := [2]string{kind, name}
		c := cats[k]
		if c == nil {
			c = &Category{Kind: kind, Name: name}
			cats[k] = c
		}
		if it.Change == diff.Removed {
			c.Removed++
		} else {
			c.Changed++
		}
		c.OldBytes += oldB
		c.NewBytes += newB
	}
	for _, c := range cats {
		res.Expected = append(res.Expected, *c)
	}
	order := map[string]int{KindCache: 0, KindDocumentation: 1, KindPackageManager: 2}
	sort.Slice(res.Expected, func(i, j int) bool {
		a, b := res.Expected[i], res.Expected[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		return a.Name < b.Name
	})
	// diff lists the largest byte change first, then in path order; keep
	// that order by the removed bytes.
	sort.SliceStable(res.Suspect, func(i, j int) bool {
		a, b := abs(res.Suspect[i].NewBytes-res.Suspect[i].OldBytes), abs(res.Suspect[j].NewBytes-res.Suspect[j].OldBytes)
		if a != b {
			return a > b
		}
		return res.Suspect[i].Path < res.Suspect[j].Path
	})
	res.Harmless = len(res.Suspect) == 0
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func imageOf(tag string, im diff.Image, compressedKnown bool) Image {
	return Image{Tag: tag, SizeBytes: im.SizeBytes, CompressedBytes: im.CompressedBytes, CompressedKnown: compressedKnown,
		VisibleBytes: im.VisibleBytes, Files: im.Files, Layers: im.LayerCount}
}

// compressedKnown reports whether every layer of img is stored
// compressed (gzip or zstd), so that its blob sizes are compressed sizes.
func compressedKnown(img v1.Image) (bool, error) {
	layers, err := img.Layers()
	if err != nil {
		return false, err
	}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil {
			return false, err
		}
		s := string(mt)
		if !strings.Contains(s, "gzip") && !strings.Contains(s, "zstd") {
			return false, nil
		}
	}
	return true, nil
}

// within reports whether path is dir or under it (both absolute).
func within(path, dir string) bool {
	path, dir = resolve(path), resolve(dir)
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b)
}
