package diff

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layercache"
	"github.com/whittle/whittle/pkg/packages"
)

// SchemaVersion names the version of the JSON document that Report
// encodes to. It changes only when a field changes meaning or goes away;
// new fields may be added within a version.
const SchemaVersion = "whittle.diff/v1"

// Report is what changed from one image (Old) to another (New): plain
// data, no rendering. Every "change" or "delta" is New's figure minus
// Old's.
type Report struct {
	SchemaVersion string `json:"schema_version"`
	Old           Image  `json:"old"`
	New           Image  `json:"new"`
	// Change is New's figures minus Old's.
	Change      Figures        `json:"change"`
	Paths       PathChanges    `json:"paths"`
	Directories DirChanges     `json:"directories"`
	Packages    PackageChanges `json:"packages"`
	Layers      LayerChanges   `json:"layers"`
}

// Image names one of the two images and holds its figures.
type Image struct {
	// Reference is the image reference as the user gave it.
	Reference string `json:"reference"`
	// Digest is the manifest digest ("" for a docker-save archive of
	// plain tar layers, which has no manifest of its own), MediaType the
	// manifest's media type, Platform os/arch[/variant].
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Platform  string `json:"platform"`
	Figures
}

// Figures are an image's figures as analyze defines them (see
// account.Image), or their change.
type Figures struct {
	// SizeBytes: regular-file content bytes over all layers,
	// uncompressed. CompressedBytes: the layer blobs as stored.
	SizeBytes       int64 `json:"size_bytes"`
	CompressedBytes int64 `json:"compressed_bytes"`
	// VisibleBytes: the content of the final filesystem (a hard-linked
	// file counted once); WastedBytes: size_bytes - visible_bytes.
	VisibleBytes int64 `json:"visible_bytes"`
	WastedBytes  int64 `json:"wasted_bytes"`
	// CacheBytes and DuplicateBytes: visible bytes in package-manager and
	// build caches, and in copies of other visible files.
	CacheBytes     int64 `json:"cache_bytes"`
	DuplicateBytes int64 `json:"duplicate_bytes"`
	// Files: regular files visible in the final filesystem (hard links
	// to one file counted once); LayerCount: the layers.
	Files      int64 `json:"files"`
	LayerCount int   `json:"layer_count"`
}

// Kinds of change of a path, a package or a layer.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
	// Packages only.
	Upgraded   = "upgraded"
	Downgraded = "downgraded"
	// VersionChanged: the version string changed but the package
	// manager's order holds the two versions equal.
	VersionChanged = "version-changed"
	Grown          = "grown"
	Shrunk         = "shrunk"
	// Layers only.
	Shared = "shared"
)

// What changed at a path present in both images (PathChange.What).
const (
	WhatType    = "type"    // a file became a directory, a link...
	WhatContent = "content" // a regular file's size or content hash
	WhatLink    = "link"    // which name of a hard-linked file it is (see PathState.HardLinkOf)
	WhatMode    = "mode"    // permission bits, setuid, setgid, sticky
	WhatOwner   = "owner"   // uid or gid
	WhatTarget  = "target"  // a symbolic link's target
)

// Types of a path (PathState.Type).
const (
	TypeFile    = "file"
	TypeDir     = account.TypeDir
	TypeSymlink = account.TypeSymlink
	TypeOther   = account.TypeOther
)

// PathChanges are the paths of the final filesystems that differ.
type PathChanges struct {
	// Added, Removed, Changed, Unchanged count paths of every type;
	// the byte counts are the bytes of regular files (see
	// PathState.Bytes).
	Added        int   `json:"added"`
	AddedBytes   int64 `json:"added_bytes"`
	Removed      int   `json:"removed"`
	RemovedBytes int64 `json:"removed_bytes"`
	Changed      int   `json:"changed"`
	// ChangedOldBytes and ChangedNewBytes: the bytes of the changed
	// paths in each image.
	ChangedOldBytes int64 `json:"changed_old_bytes"`
	ChangedNewBytes int64 `json:"changed_new_bytes"`
	Unchanged       int   `json:"unchanged"`
	UnchangedBytes  int64 `json:"unchanged_bytes"`
	// Items lists every added, removed and changed path: the largest
	// byte change first (by absolute value), then in path order.
	Items []PathChange `json:"items"`
}

// PathChange is one path that differs.
type PathChange struct {
	// Path is absolute ("/usr/bin/x").
	Path string `json:"path"`
	// Change is Added, Removed or Changed.
	Change string `json:"change"`
	// What lists what changed at a changed path (WhatType, WhatContent,
	// WhatLink, WhatMode, WhatOwner, WhatTarget, in that order); empty
	// otherwise.
	What []string `json:"what"`
	// DeltaBytes is New.Bytes - Old.Bytes (an absent side counts 0).
	DeltaBytes int64 `json:"delta_bytes"`
	// Old and New are the path in each image; nil where it is absent.
	Old *PathState `json:"old"`
	New *PathState `json:"new"`
}

// PathState is what an image holds at a path.
type PathState struct {
	// Type is TypeFile, TypeDir, TypeSymlink or TypeOther.
	Type string `json:"type"`
	// Size is a regular file's content length (0 for other types).
	// Bytes is what the path counts in visible_bytes: Size, or 0 for a
	// name of a hard-linked file other than its first in path order.
	Size  int64 `json:"size"`
	Bytes int64 `json:"bytes"`
	// Mode is the permission bits, with setuid, setgid and sticky, in
	// octal ("0755"); "" for a directory no entry names (made as the
	// parent of an entry), which has no mode or owner of its own.
	Mode string `json:"mode"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	// Target is a symbolic link's target.
	Target string `json:"target,omitempty"`
	// HardLinkOf is, for a name of a hard-linked file other than its
	// first in path order, that first name (absolute).
	HardLinkOf string `json:"hard_link_of,omitempty"`
	// Digest is a regular file's content hash ("xxh3-128:" and hex) when
	// it was hashed (not for empty or sparse files).
	Digest string `json:"digest,omitempty"`
	// Layer is the layer that shipped it.
	Layer int `json:"layer"`
}

// DirChanges rolls the changed paths up by directory.
type DirChanges struct {
	// Depth is how many names of a path's directory are kept: with 2,
	// /usr/lib/x86_64-linux-gnu/libc.so.6 counts under /usr/lib, and
	// /etc/passwd under /etc.
	Depth int `json:"depth"`
	// Items are the directories with a changed path under them, the
	// largest byte change first (by absolute value), then the most
	// bytes added and removed, then in path order.
	Items []DirChange `json:"items"`
}

// DirChange is the change under one directory (rolled up to Depth).
type DirChange struct {
	// Dir is absolute ("/usr/lib"; "/" for paths at the root).
	Dir string `json:"dir"`
	// Paths added, removed and changed under it, and the bytes of the
	// added and removed ones.
	Added        int   `json:"added"`
	AddedBytes   int64 `json:"added_bytes"`
	Removed      int   `json:"removed"`
	RemovedBytes int64 `json:"removed_bytes"`
	Changed      int   `json:"changed"`
	// OldBytes and NewBytes are the bytes of every path under it in each
	// image, unchanged ones included; DeltaBytes is their difference.
	OldBytes   int64 `json:"old_bytes"`
	NewBytes   int64 `json:"new_bytes"`
	DeltaBytes int64 `json:"delta_bytes"`
}

// PackageChanges compares the OS packages of the two images (see
// pkg/packages).
type PackageChanges struct {
	Old PackageSide `json:"old"`
	New PackageSide `json:"new"`
	// Items lists the packages added, removed, whose version changed, or
	// whose bytes changed: the largest byte change first (by absolute
	// value), then by manager, name and architecture.
	Items []PackageChange `json:"items"`
	// Unowned compares the bytes that no package owns, by top directory
	// (packages.TopDir), for the directories whose bytes changed: the
	// largest change first, then in path order.
	Unowned []UnownedChange `json:"unowned"`
}

// PackageSide sums up one image's packages.
type PackageSide struct {
	// Databases are the package databases found.
	Databases []Database `json:"databases"`
	// Complete is true when every database found was read whole and
	// every package's file list is known (packages.Result.Complete).
	Complete bool `json:"complete"`
	// Packages counts the installed packages; Bytes the visible bytes
	// they own; UnownedBytes the visible bytes no package owns.
	Packages     int   `json:"packages"`
	Bytes        int64 `json:"bytes"`
	UnownedBytes int64 `json:"unowned_bytes"`
}

// Database is a package database found in an image's final filesystem
// (packages.Database).
type Database struct {
	// Manager is "dpkg", "apk" or "rpm"; Path is absolute; Layer the
	// layer of the file.
	Manager string `json:"manager"`
	Path    string `json:"path"`
	Layer   int    `json:"layer"`
	// Status is "read", "not-supported" or "too-large"; Reason says why
	// a database was not read.
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Packages counts the installed packages read from it.
	Packages int `json:"packages"`
}

// PackageChange is one package that differs.
type PackageChange struct {
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Architecture string `json:"architecture"`
	// Change is Added, Removed, Upgraded, Downgraded, VersionChanged
	// (the version differs, but the package manager orders the two
	// equal), Grown or Shrunk (the same version, other bytes).
	Change     string `json:"change"`
	OldVersion string `json:"old_version"`
	NewVersion string `json:"new_version"`
	// The visible bytes and files the package owns in each image (0
	// where it is absent), and the change of bytes.
	OldBytes   int64 `json:"old_bytes"`
	NewBytes   int64 `json:"new_bytes"`
	DeltaBytes int64 `json:"delta_bytes"`
	OldFiles   int64 `json:"old_files"`
	NewFiles   int64 `json:"new_files"`
	// FilesKnown is false when the package's file list is missing or
	// unreadable in an image that holds it (packages.Package.FilesKnown):
	// its files then count as owned by no package there, and its bytes
	// as 0.
	FilesKnown bool `json:"files_known"`
	// Layer is the layer that installed it in New (in Old for a removed
	// package), CreatedBy that layer's instruction.
	Layer     int    `json:"layer"`
	CreatedBy string `json:"created_by"`
}

// UnownedChange is the change of the bytes no package owns under one top
// directory.
type UnownedChange struct {
	Dir        string `json:"dir"`
	OldBytes   int64  `json:"old_bytes"`
	NewBytes   int64  `json:"new_bytes"`
	DeltaBytes int64  `json:"delta_bytes"`
	OldFiles   int64  `json:"old_files"`
	NewFiles   int64  `json:"new_files"`
}

// LayerChanges compares the layers of the two images.
type LayerChanges struct {
	// Shared layers are held by both images with the same chain ID (the
	// same content on the same layers below): a host or registry holding
	// Old stores and pulls them once. Added layers are New's others,
	// Removed layers Old's others. The bytes are their content and blob
	// bytes: AddedCompressedBytes is what a host that holds Old pulls to
	// get New.
	Shared                 int   `json:"shared"`
	SharedBytes            int64 `json:"shared_bytes"`
	SharedCompressedBytes  int64 `json:"shared_compressed_bytes"`
	Added                  int   `json:"added"`
	AddedBytes             int64 `json:"added_bytes"`
	AddedCompressedBytes   int64 `json:"added_compressed_bytes"`
	Removed                int   `json:"removed"`
	RemovedBytes           int64 `json:"removed_bytes"`
	RemovedCompressedBytes int64 `json:"removed_compressed_bytes"`
	// Items are New's layers bottom first (shared or added), then Old's
	// removed layers bottom first.
	Items []LayerChange `json:"items"`
}

// LayerChange is one layer of either image.
type LayerChange struct {
	// Change is Shared, Added or Removed.
	Change string `json:"change"`
	// OldIndex and NewIndex are its index in each image (bottom 0), -1
	// where it is absent.
	OldIndex int `json:"old_index"`
	NewIndex int `json:"new_index"`
	// SameContentAs is, for an added layer, the index of a removed layer
	// of Old with the same diff_id (the same content on other layers
	// below: a rebuilt base under an unchanged step), else -1.
	SameContentAs   int    `json:"same_content_as"`
	DiffID          string `json:"diff_id"`
	Digest          string `json:"digest"`
	SizeBytes       int64  `json:"size_bytes"`
	CompressedBytes int64  `json:"compressed_bytes"`
	// CreatedBy is the instruction that made it (New's history, Old's
	// for a removed layer).
	CreatedBy string `json:"created_by"`
}

// Option configures Diff.
type Option func(*options) error

type options struct {
	jobs       int
	blobDigest bool
	depth      int
	progress   func(Progress)
	oldRef     string
	newRef     string
	cache      *layercache.Cache
}

// DefaultDepth is the directory depth of the roll-up unless WithDepth
// says otherwise.
const DefaultDepth = 3

// WithJobs sets how many layers each image's analysis reads at the same
// time (default GOMAXPROCS; the two analyses run side by side). Must be
// at least 1.
func WithJobs(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("jobs must be at least 1, got %d", n)
		}
		o.jobs = n
		return nil
	}
}

// WithBlobDigests also checks the sha256 of every compressed blob (see
// account.WithBlobDigests); diff_ids are always checked.
func WithBlobDigests(enabled bool) Option {
	return func(o *options) error {
		o.blobDigest = enabled
		return nil
	}
}

// WithLayerCache makes both analyses take the layers c holds from it,
// reading none of their content, and store the others in it (see
// account.WithLayerCache and docs/cache.md). The report is the same with
// or without a cache.
func WithLayerCache(c *layercache.Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("nil layer cache")
		}
		o.cache = c
		return nil
	}
}

// WithDepth sets how many names of a directory the roll-up keeps
// (default DefaultDepth). Must be at least 1.
func WithDepth(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("depth must be at least 1, got %d", n)
		}
		o.depth = n
		return nil
	}
}

// WithReferences records the images' references as the user gave them
// (Report.Old.Reference, Report.New.Reference).
func WithReferences(old, new string) Option {
	return func(o *options) error {
		o.oldRef, o.newRef = old, new
		return nil
	}
}

// Progress is reported as layers are read: the layers of both images
// (a layer both hold counts twice), and how many are read.
type Progress struct {
	Layers, LayersDone int
	// Done is true on the last report.
	Done bool
}

// WithProgress sets a function called with progress reports, never
// concurrently.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error {
		o.progress = fn
		return nil
	}
}

// ImageError is the error of reading one of the two images.
type ImageError struct {
	// Which is "old" or "new"; Reference the image's reference as given.
	Which, Reference string
	Err              error
}

func (e *ImageError) Error() string {
	if e.Reference == "" {
		return fmt.Sprintf("reading the %s image: %v", e.Which, e.Err)
	}
	return fmt.Sprintf("reading the %s image %s: %v", e.Which, e.Reference, e.Err)
}

func (e *ImageError) Unwrap() error { return e.Err }

// Diff compares old and new. Both are analyzed side by side, each layer
// read once, and a layer both hold (the same diff_id in the same blob)
// once for both; memory is bounded by the number of paths. An error
// reading either image is an *ImageError naming it.
func Diff(ctx context.Context, old, new v1.Image, opts ...Option) (*Report, error) {
	o := options{jobs: runtime.GOMAXPROCS(0), depth: DefaultDepth}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("configuring diff: %w", err)
		}
	}
	share := account.NewLayerShare()
	if err := share.Add(old); err != nil {
		return nil, &ImageError{"old", o.oldRef, err}
	}
	if err := share.Add(new); err != nil {
		return nil, &ImageError{"new", o.newRef, err}
	}
	var (
		mu       sync.Mutex
		progress [2]account.Progress
	)
	report := func(k int, p account.Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress[k] = p
		if o.progress != nil && !p.Done {
			o.progress(Progress{Layers: progress[0].Layers + progress[1].Layers, LayersDone: progress[0].LayersDone + progress[1].LayersDone})
		}
	}
	var reps [2]*account.Report
	g, gctx := errgroup.WithContext(ctx)
	for k, side := range []struct {
		which, ref string
		img        v1.Image
	}{{"old", o.oldRef, old}, {"new", o.newRef, new}} {
		g.Go(func() error {
			aopts := append([]account.Option{
				account.WithReference(side.ref),
				account.WithJobs(o.jobs),
				account.WithBlobDigests(o.blobDigest),
				account.WithDive(false),
				account.WithDuplicates(true), // hashes every file's content
				account.WithVisiblePaths(true),
				account.WithLayerShare(share),
				account.WithProgress(func(p account.Progress) { report(k, p) }),
			}, packages.AnalyzeOptions()...)
			if o.cache != nil {
				aopts = append(aopts, account.WithLayerCache(o.cache))
			}
			rep, err := account.Analyze(gctx, side.img, aopts...)
			if err != nil {
				return &ImageError{side.which, side.ref, err}
			}
			reps[k] = rep
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep, err := compare(reps[0], reps[1], o.depth)
	if err != nil {
		return nil, err
	}
	if o.progress != nil {
		n := progress[0].Layers + progress[1].Layers
		o.progress(Progress{Layers: n, LayersDone: n, Done: true})
	}
	return rep, nil
}

// Compare compares two accounts made with the options Diff uses:
// account.WithVisiblePaths, packages.AnalyzeOptions (without them, no
// package is compared), and the duplicate search on (without it, files
// of equal size compare equal). depth is the roll-up's directory depth (at
// least 1). It sorts the accounts' VisibleFiles and VisibleOthers by path,
// in place.
func Compare(old, new *account.Report, depth int) (*Report, error) {
	if depth < 1 {
		return nil, fmt.Errorf("depth must be at least 1, got %d", depth)
	}
	return compare(old, new, depth)
}

func compare(old, new *account.Report, depth int) (*Report, error) {
	if old.VisibleFiles == nil || old.VisibleOthers == nil || new.VisibleFiles == nil || new.VisibleOthers == nil {
		return nil, fmt.Errorf("comparing images: the accounts list no visible paths (analyze with account.WithVisiblePaths)")
	}
	rep := &Report{SchemaVersion: SchemaVersion, Old: imageOf(old), New: imageOf(new)}
	rep.Change = rep.New.Figures.minus(rep.Old.Figures)
	rep.Paths, rep.Directories = comparePaths(old, new, depth)
	pk, err := comparePackages(old, new)
	if err != nil {
		return nil, err
	}
	rep.Packages = pk
	rep.Layers = compareLayers(old, new)
	return rep, nil
}

func imageOf(r *account.Report) Image {
	im := r.Image
	return Image{Reference: im.Reference, Digest: im.Digest, MediaType: im.MediaType, Platform: im.Platform,
		Figures: Figures{SizeBytes: im.SizeBytes, CompressedBytes: im.CompressedBytes, VisibleBytes: im.VisibleBytes,
			WastedBytes: im.WastedBytes, CacheBytes: im.CacheBytes, DuplicateBytes: im.DuplicateBytes,
			Files: im.Files, LayerCount: len(r.Layers)}}
}

func (f Figures) minus(g Figures) Figures {
	return Figures{
		SizeBytes: f.SizeBytes - g.SizeBytes, CompressedBytes: f.CompressedBytes - g.CompressedBytes,
		VisibleBytes: f.VisibleBytes - g.VisibleBytes, WastedBytes: f.WastedBytes - g.WastedBytes,
		CacheBytes: f.CacheBytes - g.CacheBytes, DuplicateBytes: f.DuplicateBytes - g.DuplicateBytes,
		Files: f.Files - g.Files, LayerCount: f.LayerCount - g.LayerCount,
	}
}
