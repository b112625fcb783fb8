package imageref

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

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

	"github.com/whittle/whittle/pkg/spool"
)

// Write writes img to the location r names:
//
//   - docker-archive: a `docker save` tar, written to a temporary file in
//     the same directory and renamed into place; the name from the reference
//     or WithTag becomes its RepoTag.
//   - oci-archive: an OCI image layout packed in a tar, as skopeo writes it,
//     holding img alone (annotated with the tag); written to a temporary
//     file and renamed into place like an archive.
//   - oci: the image is added to the layout (created when missing, or when
//     the directory is empty) and annotated with the tag. index.json is
//     replaced atomically. A Docker manifest is rewritten with OCI media
//     types (other tools ignore Docker manifests in a layout): blobs keep
//     their digests, the image digest changes.
//   - docker:// or a bare name: pushed to the registry.
//   - docker-daemon: loaded into the Docker Engine under the reference's name.
//
// Write replaces nothing unless WithReplace(true): an existing archive, an
// image of the same tag in a layout, or (no tag given) a layout that holds
// images are refused with an *ExistsError (errors.Is(err, ErrExists)). With
// it, an archive is replaced by rename, a layout's entry of that tag is
// replaced, and a whole layout is written beside the old one and swapped
// in. A directory that is neither a layout nor empty is never written to.
//
// Write never checks whether r is also the source of img: callers refuse
// that with Ref.Same before reading. Errors name the reference, never a
// temporary file.
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
	case OCIArchive:
		return r.writeOCIArchive(ctx, img, o)
	case Layout:
		return r.writeLayout(ctx, img, o)
	case Registry:
		return r.writeRegistry(ctx, img, o)
	case Daemon:
		return r.writeDaemon(ctx, img, o)
	}
	return errors.New("invalid reference (use Parse)")
}

// CheckWrite tells, before any work is done, whether Write with the same
// options would be refused: bad options or tags (the reference's tag and
// WithTag disagree, a Docker Engine reference without a tag), something to
// replace without WithReplace(true) (ErrExists), a directory where a file
// goes or a directory that is not a layout, and a directory to write in
// that is missing or not writable (tested by creating and removing a file
// in it). Registries are not contacted. Errors name the reference as
// Write's do.
func (r Ref) CheckWrite(ctx context.Context, opts ...Option) error {
	if err := r.checkWrite(ctx, opts); err != nil {
		return fmt.Errorf("writing %s: %w", r, err)
	}
	return nil
}

func (r Ref) checkWrite(ctx context.Context, opts []Option) error {
	o, err := makeOptions(opts)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	switch r.kind {
	case Archive, OCIArchive, Layout:
		tag, err := r.sinkTag(o)
		if err != nil {
			return err
		}
		if r.kind == Archive && tag != "" {
			if _, err := name.NewTag(tag); err != nil {
				return fmt.Errorf("parsing tag: %w", err)
			}
		}
		if err := r.checkReplace(o); err != nil {
			return err
		}
		if r.kind != Layout {
			return checkDirWritable(filepath.Dir(r.path))
		}
		if _, err := os.Stat(r.path); err != nil {
			return checkDirWritable(filepath.Dir(filepath.Clean(r.path)))
		}
		if err := checkDirWritable(r.path); err != nil {
			return err
		}
		if r.replacesLayout(tag) {
			// The new layout is written beside the old one.
			return checkDirWritable(filepath.Dir(filepath.Clean(r.path)))
		}
		return nil
	case Daemon:
		if _, ok := r.ref.(name.Tag); !ok {
			return errDaemonDigest
		}
		return nil
	case Registry:
		return nil
	}
	return errors.New("invalid reference (use Parse)")
}

var errDaemonDigest = errors.New("the Docker Engine needs a tag to load an image under, not a digest")

// checkDirWritable fails when dir is missing, not a directory or not
// writable. It creates and removes a file in dir, which tells what the
// permission bits do not (read-only mounts, ACLs, root).
func checkDirWritable(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".whittle-probe-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable (%w)", dir, pathErrCause(err))
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// pathErrCause is the cause of a file-system error, without the path it
// names (a temporary file's, which means nothing to the user).
func pathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// checkReplace refuses a write that would replace what is at r, unless
// o.replace, and a write that must never happen: a directory where a file
// goes, a directory that is neither a layout nor empty.
func (r Ref) checkReplace(o *options) error {
	fi, err := os.Stat(r.path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // nothing there (the directory is checked on its own)
	}
	if err != nil {
		return err
	}
	if r.kind != Layout {
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s is a directory, not a file", r.path)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s exists and is not a regular file", r.path)
		case !o.replace:
			return &ExistsError{Path: r.path}
		}
		return nil
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", r.path)
	}
	if _, err := os.Stat(filepath.Join(r.path, "index.json")); err != nil {
		ents, err := os.ReadDir(r.path)
		if err != nil {
			return err
		}
		if len(ents) > 0 {
			return fmt.Errorf("%s is not empty and holds no index.json (not an OCI layout)", r.path)
		}
		return nil
	}
	if o.replace {
		return nil
	}
	tag, err := r.sinkTag(o)
	if err != nil {
		return err
	}
	im, err := readLayoutIndex(r.path)
	if err != nil {
		return err
	}
	if tag == "" {
		if len(im.Manifests) > 0 {
			return &ExistsError{Path: r.path}
		}
		return nil
	}
	for _, d := range im.Manifests {
		if d.Annotations[annotationRefName] == tag {
			return &ExistsError{Path: r.path, Tag: tag}
		}
	}
	return nil
}

// readLayoutIndex reads the index.json of the layout at dir.
func readLayoutIndex(dir string) (*v1.IndexManifest, error) {
	ix, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	im, err := ix.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index.json: %w", err)
	}
	return im, nil
}

// replacesLayout reports whether writing to r with tag replaces the whole
// layout: no tag, and a layout holding images.
func (r Ref) replacesLayout(tag string) bool {
	if r.kind != Layout || tag != "" {
		return false
	}
	if _, err := os.Stat(filepath.Join(r.path, "index.json")); err != nil {
		return false
	}
	im, err := readLayoutIndex(r.path)
	return err == nil && len(im.Manifests) > 0
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
	if err := r.checkReplace(o); err != nil {
		return err
	}
	return writeFileAtomic(r.path, o, func(w io.Writer) error {
		return tarball.Write(ref, img, &ctxWriter{ctx: ctx, w: w})
	})
}

// writeFileAtomic writes dst through a temporary file in its directory
// (spool.CreateBeside: .BASE.whittle-tmp-PID-N, locked while it is
// written), renamed into place only when fill succeeded; otherwise nothing
// is left. What a killed run left there is removed first
// (spool.RemoveStale). Errors name dst (the file a symbolic link at dst
// names), never the temporary file.
func writeFileAtomic(dst string, o *options, fill func(io.Writer) error) error {
	// A symbolic link is followed: the file it names is replaced, and the
	// link stays (as a layout's).
	if fi, err := os.Lstat(dst); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(dst); err == nil {
			dst = real
		}
	}
	removeStale(filepath.Dir(dst))
	return createAtomic(dst, o, fill)
}

// removeStale removes what killed writers left in dir (spool.RemoveStale),
// as well as it can: a leftover it cannot remove (another user's, in a
// shared directory) does not stop the write.
func removeStale(dir string) {
	_, _ = spool.RemoveStale(dir)
}

// createAtomic is writeFileAtomic without the removal of leftovers.
func createAtomic(dst string, o *options, fill func(io.Writer) error) (err error) {
	f, err := spool.CreateBeside(dst)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, pathErrCause(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			err = hideTemp(err, tmp, dst)
		}
	}()
	if err := fill(o.budget.Writer(f, dst)); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if o.beforeRename != nil {
		if err := o.beforeRename(tmp); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("renaming into place: %w", pathErrCause(err))
	}
	// Closed after the rename, so that the lock holds until the file has
	// its name; Sync has made its content durable already.
	_ = f.Close()
	return nil
}

// hideTemp shows an error about the temporary file or directory tmp under
// the name of dst, the destination it stands for; errors.Is and errors.As
// still see the original.
func hideTemp(err error, tmp, dst string) error {
	if err == nil {
		return err
	}
	msg := err.Error()
	// Paths are written as given ("./.x.tmp-1") and as joined (".x.tmp-1/...").
	for _, p := range []string{tmp, filepath.Clean(tmp)} {
		msg = strings.ReplaceAll(msg, p, dst)
	}
	if msg == err.Error() {
		return err
	}
	return &renamedError{err: err, msg: msg}
}

type renamedError struct {
	err error
	msg string
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

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
// tag, or replaces the whole layout when no tag is given.
func (r Ref) writeLayout(ctx context.Context, img v1.Image, o *options) (err error) {
	tag, err := r.sinkTag(o)
	if err != nil {
		return err
	}
	if err := r.checkReplace(o); err != nil {
		return err
	}
	if img, err = asOCI(img); err != nil {
		return fmt.Errorf("converting to OCI media types: %w", err)
	}
	if r.replacesLayout(tag) {
		return r.replaceLayout(ctx, img, o)
	}
	if _, err := os.Stat(filepath.Join(r.path, "index.json")); err == nil {
		p, err := layout.FromPath(r.path)
		if err != nil {
			return err
		}
		return addToLayout(ctx, p, img, tag, o)
	}
	return r.newLayout(ctx, img, tag, o)
}

// newLayout writes img as the only image of a new layout, assembled in a
// directory beside r's (spool.MkdirBeside) and renamed into place: a
// missing directory, or an empty one, which it replaces. A killed run
// leaves no half-written layout at r, only the directory beside it, which
// the next write there removes.
func (r Ref) newLayout(ctx context.Context, img v1.Image, tag string, o *options) (err error) {
	target := filepath.Clean(r.path)
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		target = resolved // fill the directory a symbolic link names, not the link
	}
	mode := os.FileMode(0o755)
	fi, err := os.Stat(target)
	switch {
	case err == nil && !fi.IsDir():
		return errors.New("exists and is not a directory")
	case err == nil:
		ents, err := os.ReadDir(target)
		if err != nil {
			return err
		}
		if len(ents) > 0 {
			return errors.New("directory is not empty and holds no index.json (not an OCI layout)")
		}
		mode = fi.Mode().Perm()
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	removeStale(filepath.Dir(target))
	d, err := spool.MkdirBeside(target)
	if err != nil {
		return fmt.Errorf("creating a directory beside %s: %w", r.path, pathErrCause(err))
	}
	defer d.Release()
	defer func() {
		if err != nil {
			_ = os.RemoveAll(d.Path)
			err = hideTemp(err, d.Path, r.path)
		}
	}()
	if err := os.Chmod(d.Path, mode); err != nil {
		return err
	}
	p, err := layout.Write(d.Path, empty.Index)
	if err != nil {
		return err
	}
	if err := addToLayout(ctx, p, img, tag, o); err != nil {
		return err
	}
	if o.beforeRename != nil {
		if err := o.beforeRename(d.Path); err != nil {
			return err
		}
	}
	if err := os.Rename(d.Path, target); err != nil {
		if fi == nil {
			return fmt.Errorf("renaming into place: %w", pathErrCause(err))
		}
		// Systems whose rename does not replace an empty directory.
		if rerr := os.Remove(target); rerr != nil {
			return fmt.Errorf("renaming into place: %w", pathErrCause(err))
		}
		if err := os.Rename(d.Path, target); err != nil {
			return fmt.Errorf("renaming into place: %w", pathErrCause(err))
		}
	}
	return nil
}

// writeBlobs writes img's blobs (layers, config, manifest) that the layout
// p lacks, each through a temporary file renamed to its digest, so that a
// blob is never seen half-written under its name; what a killed run left
// in blobs/ is removed first.
func writeBlobs(ctx context.Context, p layout.Path, img v1.Image, o *options) error {
	type blob struct {
		h    v1.Hash
		size int64
		open func() (io.ReadCloser, error)
	}
	var blobs []blob
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		h, err := l.Digest()
		if err != nil {
			return err
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		blobs = append(blobs, blob{h, size, l.Compressed})
	}
	for _, raw := range []func() ([]byte, error){img.RawConfigFile, img.RawManifest} {
		b, err := raw()
		if err != nil {
			return err
		}
		blobs = append(blobs, blob{synthDigest(b), int64(len(b)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }})
	}
	removed := map[string]bool{}
	for _, b := range blobs {
		dir := filepath.Join(string(p), "blobs", b.h.Algorithm)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if !removed[dir] {
			removed[dir] = true
			removeStale(dir)
		}
		dst := filepath.Join(dir, b.h.Hex)
		if fi, err := os.Stat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == b.size {
			continue
		}
		err := createAtomic(dst, o, func(w io.Writer) error {
			rc, err := b.open()
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(w, &ctxReadCloser{ReadCloser: rc, ctx: ctx})
			return err
		})
		if err != nil {
			return fmt.Errorf("writing blob %s: %w", b.h, err)
		}
	}
	return nil
}

func synthDigest(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// addToLayout writes img's blobs into the layout p, then a new index.json
// that lists it (under tag, replacing an entry of that tag).
func addToLayout(ctx context.Context, p layout.Path, img v1.Image, tag string, o *options) error {
	// Blobs are content-addressed and each is written atomically
	// (writeBlobs); only index.json makes the image visible.
	if err := writeBlobs(ctx, p, img, o); err != nil {
		return err
	}
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
	return writeFileAtomic(filepath.Join(string(p), "index.json"), o, func(w io.Writer) error {
		_, err := w.Write(raw)
		return err
	})
}

// replaceLayout writes img as the only image of a new layout in a
// directory beside r's, then swaps the two directories; the old layout is
// removed. A failure before the swap leaves the old layout as it was.
func (r Ref) replaceLayout(ctx context.Context, img v1.Image, o *options) (err error) {
	target := filepath.Clean(r.path)
	if resolved, err := filepath.EvalSymlinks(target); err == nil {
		target = resolved // replace the directory a symbolic link names, not the link
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	removeStale(filepath.Dir(target))
	d, err := spool.MkdirBeside(target)
	if err != nil {
		return fmt.Errorf("creating a directory beside %s: %w", r.path, pathErrCause(err))
	}
	defer d.Release()
	tmp := d.Path
	// After the swap tmp holds the old layout: removed either way.
	defer func() {
		if rerr := os.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("removing the old layout: %w", pathErrCause(rerr))
		}
		err = hideTemp(err, tmp, r.path)
	}()
	if err := os.Chmod(tmp, fi.Mode().Perm()); err != nil {
		return err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := addToLayout(ctx, p, img, "", o); err != nil {
		return err
	}
	if o.beforeRename != nil {
		if err := o.beforeRename(tmp); err != nil {
			return err
		}
	}
	if err := swapDirs(tmp, target); err != nil {
		return fmt.Errorf("replacing the layout: %w", pathErrCause(err))
	}
	return nil
}

// swapDirsByRename exchanges the directories a and b with two renames
// through a third name, for systems without an atomic exchange: b is
// missing between the renames, and put back when the second fails.
func swapDirsByRename(a, b string) error {
	aside := a + ".old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		_ = os.Rename(aside, b)
		return err
	}
	return os.Rename(aside, a)
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
		return errDaemonDigest
	}
	if _, err := daemon.Write(tag, img, daemonOptions(ctx, o)...); err != nil {
		return err
	}
	return nil
}
