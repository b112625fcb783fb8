package imageref

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Write writes img to the location r names:
//
//   - docker-archive: a `docker save` tar, written to a temporary file in
//     the same directory and renamed into place; the name from the reference
//     or WithTag becomes its RepoTag.
//   - oci: the image is added to the layout (created when missing, or when
//     the directory is empty) and annotated with the tag; an entry with the
//     same tag is replaced. index.json is replaced atomically. A Docker
//     manifest is rewritten with OCI media types (other tools ignore Docker
//     manifests in a layout): blobs keep their digests, the image digest
//     changes.
//   - docker:// or a bare name: pushed to the registry.
//   - docker-daemon: loaded into the Docker Engine under the reference's name.
//
// Write never checks whether r is also the source of img: callers refuse
// that with Ref.Same before reading.
func (r Ref) Write(ctx context.Context, img v1.Image, opts ...Option) error {
	if err := r.write(ctx, img, opts); err != nil {
		return fmt.Errorf("writing %s: %w", r, err)
	}
	return nil
}

func (r Ref) write(ctx context.Context, img v1.Image, opts []Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return err
	}
	if img == nil {
		return errors.New("no image to write")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch r.kind {
	case Archive:
		return r.writeArchive(ctx, img, o)
	case Layout:
		return r.writeLayout(ctx, img, o)
	case Registry:
		return r.writeRegistry(ctx, img, o)
	case Daemon:
		return r.writeDaemon(ctx, img, o)
	}
	return errors.New("invalid reference (use Parse)")
}

// sinkTag is the name an archive or layout entry gets.
func (r Ref) sinkTag(o *options) (string, error) {
	if r.tag != "" && o.tag != "" && r.tag != o.tag {
		return "", fmt.Errorf("the reference names %q but the tag option says %q", r.tag, o.tag)
	}
	if r.tag != "" {
		return r.tag, nil
	}
	return o.tag, nil
}

// writeArchive writes a `docker save` tar through a temporary file.
func (r Ref) writeArchive(ctx context.Context, img v1.Image, o *options) error {
	tag, err := r.sinkTag(o)
	if err != nil {
		return err
	}
	var ref name.Reference
	if tag != "" {
		t, err := name.NewTag(tag)
		if err != nil {
			return fmt.Errorf("parsing tag: %w", err)
		}
		ref = t
	} else {
		// An untagged archive: tarball records no RepoTags for a digest.
		d, err := img.Digest()
		if err != nil {
			return fmt.Errorf("computing digest: %w", err)
		}
		if ref, err = name.NewDigest("untagged@" + d.String()); err != nil {
			return err
		}
	}
	if fi, err := os.Stat(r.path); err == nil && !fi.Mode().IsRegular() {
		return errors.New("exists and is not a regular file")
	}
	return writeFileAtomic(r.path, o, func(w io.Writer) error {
		return tarball.Write(ref, img, &ctxWriter{ctx: ctx, w: w})
	})
}

// writeFileAtomic writes dst through a temporary file in its directory,
// renamed into place only when fill succeeded; otherwise nothing is left.
func writeFileAtomic(dst string, o *options, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if o.beforeRename != nil {
		if err := o.beforeRename(tmp); err != nil {
			return err
		}
	}
	return os.Rename(tmp, dst)
}

// ctxWriter stops a long write when its context is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// writeLayout adds img to an OCI layout, replacing an entry with the same
// tag.
func (r Ref) writeLayout(ctx context.Context, img v1.Image, o *options) (err error) {
	tag, err := r.sinkTag(o)
	if err != nil {
		return err
	}
	if img, err = asOCI(img); err != nil {
		return fmt.Errorf("converting to OCI media types: %w", err)
	}
	p, created, err := openOrCreateLayout(r.path)
	if err != nil {
		return err
	}
	if created {
		defer func() {
			if err != nil {
				_ = os.RemoveAll(r.path)
			}
		}()
	}
	// Blobs are content-addressed and each is written atomically by
	// layout; only index.json makes the image visible.
	if err := p.WriteImage(ctxImage{Image: img, ctx: ctx}); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		return fmt.Errorf("describing image: %w", err)
	}
	ix, err := p.ImageIndex()
	if err != nil {
		return fmt.Errorf("reading index.json: %w", err)
	}
	if tag != "" {
		desc.Annotations = map[string]string{annotationRefName: tag}
		ix = mutate.RemoveManifests(ix, match.Annotation(annotationRefName, tag))
	} else {
		// The same untagged image twice is one entry.
		ix = mutate.RemoveManifests(ix, func(d v1.Descriptor) bool {
			return d.Digest == desc.Digest && entryName(d) == ""
		})
	}
	ix = mutate.AppendManifests(ix, mutate.IndexAddendum{Add: img, Descriptor: *desc})
	im, err := ix.IndexManifest()
	if err != nil {
		return err
	}
	raw, err := json.MarshalIndent(im, "", "   ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(r.path, "index.json"), o, func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	})
}

// openOrCreateLayout opens the layout at dir, or makes a new one when dir is
// missing or empty. It refuses a directory holding other things.
func openOrCreateLayout(dir string) (p layout.Path, created bool, err error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		p, err := layout.Write(dir, empty.Index)
		return p, true, err
	case err != nil:
		return "", false, err
	case !fi.IsDir():
		return "", false, errors.New("exists and is not a directory")
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		p, err := layout.FromPath(dir)
		return p, false, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	if len(ents) > 0 {
		return "", false, errors.New("directory is not empty and holds no index.json (not an OCI layout)")
	}
	p, err = layout.Write(dir, empty.Index)
	return p, false, err
}

// ctxImage makes layer reads stop when ctx is done, for writers that take
// no context.
type ctxImage struct {
	v1.Image
	ctx context.Context
}

func (i ctxImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for k, l := range ls {
		out[k] = ctxLayer{Layer: l, ctx: i.ctx}
	}
	return out, nil
}

type ctxLayer struct {
	v1.Layer
	ctx context.Context
}

func (l ctxLayer) Compressed() (io.ReadCloser, error) {
	if err := l.ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return ctxReadCloser{ReadCloser: rc, ctx: l.ctx}, nil
}

type ctxReadCloser struct {
	io.ReadCloser
	ctx context.Context
}

func (c ctxReadCloser) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.ReadCloser.Read(p)
}

// writeRegistry pushes img.
func (r Ref) writeRegistry(ctx context.Context, img v1.Image, o *options) error {
	ref, err := r.registryName(o)
	if err != nil {
		return err
	}
	return registryErr(remote.Write(ref, img, r.remoteOptions(ctx, o)...))
}

// writeDaemon loads img into the Docker Engine under the reference's name.
func (r Ref) writeDaemon(ctx context.Context, img v1.Image, o *options) error {
	tag, ok := r.ref.(name.Tag)
	if !ok {
		return errors.New("the Docker Engine needs a tag to load an image under, not a digest")
	}
	if _, err := daemon.Write(tag, img, daemonOptions(ctx, o)...); err != nil {
		return err
	}
	return nil
}
