package account

// SchemaVersion names the version of the JSON document that Report encodes
// to. It changes only when a field changes meaning or goes away; new fields
// may be added within a version.
const SchemaVersion = "whittle.analyze/v1"

// Report is the exact account of one image: plain data, no rendering.
// Every figure is defined in the README ("Exact accounting"); the same
// definitions are repeated on the fields below.
type Report struct {
	SchemaVersion string      `json:"schema_version"`
	Image         Image       `json:"image"`
	Layers        []Layer     `json:"layers"`
	Waste         []WasteItem `json:"waste"`
	Caches        []Cache     `json:"caches"`
	// Docs holds the visible bytes of documentation, manuals and locales,
	// by category (DocCategory), in the order of DocCategories;
	// categories without a file are left out.
	Docs       []DocBytes  `json:"docs"`
	Duplicates []Duplicate `json:"duplicates"`
	Dive       Dive        `json:"dive"`
	// Watched lists the regular files shipped at the paths WithWatch
	// asked for, in layer order then tar order (empty, not nil, when none
	// is found); nil when WithWatch was not given.
	Watched []WatchedFile `json:"watched,omitempty"`

	// Captured holds the content of the visible files at the paths
	// WithCapture asked for, in path order (empty, not nil, when none is
	// found); nil when WithCapture was not given. Not part of the JSON
	// document.
	Captured []CapturedFile `json:"-"`
	// VisibleFiles lists every visible regular file of the final
	// filesystem, every name of a hard-linked file included, in no
	// particular order, when WithVisibleFiles asked for it; nil otherwise.
	// Not part of the JSON document.
	VisibleFiles []VisibleFile `json:"-"`
	// VisibleOthers lists every other visible path of the final
	// filesystem (directories, symbolic links, devices, fifos), in no
	// particular order, when WithVisiblePaths asked for it; nil
	// otherwise. Not part of the JSON document.
	VisibleOthers []VisibleOther `json:"-"`
}

// Reasons a captured file comes without its content.
const (
	// SkippedTooLarge: the file is over the per-file limit, or keeping it
	// would pass the total limit (WithCaptureLimits).
	SkippedTooLarge = "too-large"
	// SkippedSparse: a sparse file, whose holes could read as far more
	// bytes than the layer holds.
	SkippedSparse = "sparse"
	// SkippedNotCaptured: a hard link whose file was shipped at a path
	// that is not captured.
	SkippedNotCaptured = "not-captured"
)

// CapturedFile is the content of one visible regular file asked for with
// WithCapture.
type CapturedFile struct {
	// Path is relative to the root, without a leading slash ("var/lib/x"),
	// the visible name; Layer is the layer that shipped the content; Size
	// the content's length as the tar header says.
	Path  string
	Layer int
	Size  int64
	// Data is the whole content, or nil when Skipped says why it was not
	// kept.
	Data    []byte
	Skipped string
}

// VisibleFile is one name of a regular file visible in the final
// filesystem.
type VisibleFile struct {
	// Path is relative to the root, without a leading slash ("usr/bin/x").
	Path string
	// File identifies the file: names with the same File are hard links
	// to one file, whose Bytes count once in Image.VisibleBytes.
	File int
	// Layer is the layer that shipped the content; Bytes its length.
	Layer int
	Bytes int64
	// Hash is the XXH3-128 of the content (big endian) when Hashed: the
	// duplicate search (WithDuplicates, on by default) hashes every file
	// with content, sparse files excepted.
	Hash   [16]byte
	Hashed bool
	// Mode (the permission bits with setuid, setgid and sticky), UID and
	// GID of the file, as the tar header that shipped it says; filled
	// with WithVisiblePaths only.
	Mode     int64
	UID, GID int
}

// Types of VisibleOther.
const (
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	// TypeOther: a device, a fifo, or a hard link to something that is
	// not a regular file.
	TypeOther = "other"
)

// VisibleOther is one visible path of the final filesystem that is not a
// regular file.
type VisibleOther struct {
	// Path is relative to the root, without a leading slash.
	Path string
	// Type is TypeDir, TypeSymlink or TypeOther.
	Type string
	// Layer is the layer of the entry that made it (for a directory, the
	// last layer that wrote it).
	Layer int
	// Mode, UID and GID as the entry's tar header says (Mode as
	// VisibleFile.Mode), unless Implicit.
	Mode     int64
	UID, GID int
	// Implicit is true for a directory that no entry names, made as the
	// parent of an entry: it has no mode or owner of its own.
	Implicit bool
	// Target is a symbolic link's target, as written.
	Target string
}

// WatchedFile is one regular file a layer ships at a watched path.
type WatchedFile struct {
	// Path is absolute ("/a/b").
	Path  string `json:"path"`
	Layer int    `json:"layer"`
	Bytes int64  `json:"bytes"`
}

// Image holds the figures of the whole image.
type Image struct {
	// Reference is the image reference as the user gave it.
	Reference string `json:"reference"`
	// Digest is the manifest digest, MediaType the manifest media type.
	// Digest is empty for a docker-save archive with plain .tar layers: it
	// has no manifest of its own to digest.
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	// Platform is os/arch[/variant] of the image config.
	Platform string `json:"platform,omitempty"`

	// SizeBytes: regular-file content bytes over all layers, uncompressed,
	// as the tar headers say.
	SizeBytes int64 `json:"size_bytes"`
	// CompressedBytes: the sum of the layer blobs as stored or pushed.
	CompressedBytes int64 `json:"compressed_bytes"`
	// WastedBytes: regular-file content bytes in some layer that are not
	// visible in the final filesystem (overwritten, whited out, hidden by an
	// opaque directory, or under a directory deleted or replaced by a later
	// layer). Exactly what a lossless squash of all layers removes.
	WastedBytes int64 `json:"wasted_bytes"`
	// CacheBytes: visible bytes under known package-manager and build caches.
	CacheBytes int64 `json:"cache_bytes"`
	// DocBytes: visible bytes of documentation, manuals and locales
	// (/usr/share/doc, man, info, locale, ...: see DocCategory), the sum
	// of Report.Docs.
	DocBytes int64 `json:"doc_bytes"`
	// DuplicateBytes: visible regular-file bytes whose content equals an
	// earlier visible file's (every copy after the first, in path order;
	// hard links to one another and empty files excluded).
	DuplicateBytes int64 `json:"duplicate_bytes"`
	// VisibleBytes: regular-file content bytes visible in the final
	// filesystem, counting a hard-linked file once. SizeBytes - WastedBytes.
	VisibleBytes int64 `json:"visible_bytes"`
	// Files: regular files visible in the final filesystem (hard links to
	// one file counted once).
	Files int64 `json:"files"`
}

// Layer holds the figures of one layer, bottom (index 0) to top.
type Layer struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest"`
	DiffID    string `json:"diff_id"`
	MediaType string `json:"media_type"`
	// SizeBytes: regular-file content bytes of this layer's tar.
	SizeBytes int64 `json:"size_bytes"`
	// CompressedBytes: the size of the layer blob.
	CompressedBytes int64 `json:"compressed_bytes"`
	// CreatedBy is the history entry's created_by that made this layer
	// (empty_layer entries skipped), "" when the image has no history.
	CreatedBy string `json:"created_by"`
	Comment   string `json:"comment,omitempty"`
	// FilesAdded: non-directory entries at paths that did not exist below.
	// FilesModified: non-directory entries at paths that existed below
	// (also when this layer's own whiteout removed them first; a path
	// written twice in the layer counts once).
	// FilesDeleted: non-directory paths of the layers below removed from
	// view by whiteouts and opaque markers of this layer (each path counted
	// once, the paths under a deleted directory included).
	FilesAdded    int64 `json:"files_added"`
	FilesModified int64 `json:"files_modified"`
	FilesDeleted  int64 `json:"files_deleted"`
	// WastedBytes: this layer's regular-file bytes not visible in the final
	// filesystem.
	WastedBytes int64 `json:"wasted_bytes"`
}

// Reasons a file's bytes are not visible in the final filesystem.
const (
	ReasonOverwritten    = "overwritten"     // a later layer wrote the same path
	ReasonDeleted        = "deleted"         // a later whiteout removed the path
	ReasonOpaque         = "opaque"          // a later opaque marker hid the directory's lower content
	ReasonParentDeleted  = "parent-deleted"  // a later whiteout removed a parent directory
	ReasonParentReplaced = "parent-replaced" // a later layer replaced a parent directory with a non-directory
)

// WasteItem is one regular file whose bytes ship but are not visible.
// Items come in layer order, then tar order.
type WasteItem struct {
	// Path is absolute ("/a/b"): the path of the entry that shipped the
	// bytes.
	Path  string `json:"path"`
	Layer int    `json:"layer"`
	Bytes int64  `json:"bytes"`
	// Reason is one of the Reason constants.
	Reason string `json:"reason"`
	// ShadowedBy is the index of the layer that hid the file.
	ShadowedBy int `json:"shadowed_by"`
}

// Cache is the visible bytes of one cache category.
type Cache struct {
	// Category: apt-lists, apt-archives, apk-cache, pip-cache, npm-cache,
	// yarn-cache, gem-cache, go-build-cache, dnf-cache, yum-cache,
	// zypper-cache, tmp.
	Category string `json:"category"`
	Bytes    int64  `json:"bytes"`
	Files    int64  `json:"files"`
	// Layers lists the layers whose files make up the bytes.
	Layers []LayerBytes `json:"layers"`
}

// DocBytes is the visible bytes of one documentation or locale category.
type DocBytes struct {
	// Category: doc, man, info, locale (DocCategory says which paths).
	Category string `json:"category"`
	Bytes    int64  `json:"bytes"`
	Files    int64  `json:"files"`
	// Layers lists the layers whose files make up the bytes.
	Layers []LayerBytes `json:"layers"`
}

// LayerBytes attributes bytes to a layer.
type LayerBytes struct {
	Layer int   `json:"layer"`
	Bytes int64 `json:"bytes"`
}

// Duplicate is one set of visible regular files with equal content.
type Duplicate struct {
	// Digest names the content: "xxh3-128:" and the XXH3-128 of the
	// content in hex (a fast non-cryptographic hash: files are grouped by
	// equal size and equal 128-bit hash). Size is the content's length.
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Paths (absolute) in path order, one per file (hard-linked names are
	// one file, listed under its first name); the first is counted as the
	// original. Duplicates are listed by Bytes, largest first.
	Paths []string `json:"paths"`
	// Bytes: Size * (len(Paths) - 1).
	Bytes int64 `json:"bytes"`
}

// Dive holds the figures computed the way dive computes them, so that
// .dive-ci thresholds carry over. They are not whittle's own waste figure:
// dive counts every copy of a file that appears in more than one layer.
type Dive struct {
	// Efficiency: over every path that is a leaf of some layer's tree, the
	// sum of each path's smallest size divided by the sum of all its sizes.
	Efficiency float64 `json:"efficiency"`
	// WastedBytes: the sum of all sizes of the paths seen in more than one
	// layer.
	WastedBytes int64 `json:"wasted_bytes"`
	// UserWastedPercent: WastedBytes / UserSizeBytes, a fraction (0 when
	// there are no user bytes), as .dive-ci's highestUserWastedPercent.
	UserWastedPercent float64 `json:"user_wasted_percent"`
	// SizeBytes: the tar header sizes of every entry of every layer;
	// UserSizeBytes: the same without the first layer.
	SizeBytes      int64             `json:"size_bytes"`
	UserSizeBytes  int64             `json:"user_size_bytes"`
	Inefficiencies []DiveInefficient `json:"inefficiencies"`
}

// DiveInefficient is one path that dive reports as inefficient: a path
// seen in more than one layer, Count times, SizeBytes in all (listed
// largest first).
type DiveInefficient struct {
	Path      string `json:"path"`
	Count     int    `json:"count"`
	SizeBytes int64  `json:"size_bytes"`
}
