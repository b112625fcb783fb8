package imageref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Kind is the kind of location a Ref names.
type Kind int

// The kinds of reference.
const (
	// Archive is a tar file: a `docker save` archive (legacy or current) or
	// an OCI image layout packed in a tar. Written as a `docker save` archive.
	Archive Kind = iota + 1
	// Layout is an OCI image layout directory.
	Layout
	// Daemon is an image in the local Docker Engine.
	Daemon
	// Registry is an image in a container registry.
	Registry
	// OCIArchive is an OCI image layout packed in a tar, as skopeo's
	// oci-archive: transport reads and writes it. Written as such.
	OCIArchive
)

// String returns the transport prefix of the kind.
func (k Kind) String() string {
	switch k {
	case Archive:
		return "docker-archive"
	case Layout:
		return "oci"
	case Daemon:
		return "docker-daemon"
	case Registry:
		return "docker"
	case OCIArchive:
		return "oci-archive"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Transport prefixes accepted by Parse.
const (
	prefixArchive    = "docker-archive:"
	prefixLayout     = "oci:"
	prefixOCIArchive = "oci-archive:"
	prefixDaemon     = "docker-daemon:"
	prefixRegistry   = "docker://"
)

// Prefixes of transports other tools know that whittle does not read; they
// are refused with a hint rather than taken for registry references.
var unsupportedPrefixes = map[string]string{
	"containers-storage:": "export the image first, for example with docker-archive:PATH",
	"dir:":                "use oci:DIR for an OCI image layout",
	// dive's spelling of an image in podman's engine.
	"podman://": "dive's spelling of podman's engine: whittle analyze --source podman IMAGE reads it through podman's API socket; or podman save -o image.tar IMAGE and name docker-archive:image.tar",
}

// diveArchivePrefix is dive's spelling of a docker save tar,
// docker-archive://PATH: the two slashes are dropped, as dive drops them, so
// docker-archive://app.tar is app.tar and docker-archive:///abs/app.tar is
// /abs/app.tar (as skopeo reads it too).
const diveArchivePrefix = prefixArchive + "//"

// Ref is a parsed image reference: where an image is read from or written to.
// The zero Ref is invalid; get one from Parse.
type Ref struct {
	kind Kind
	// path is the file or directory of an Archive, OCIArchive or Layout,
	// as given.
	path string
	// tag selects (and names, when writing) an image in an Archive
	// (a docker reference such as "app:v1"), or in a Layout or OCIArchive
	// (the org.opencontainers.image.ref.name annotation).
	tag string
	// ref is the image of a Registry or Daemon reference.
	ref name.Reference
}

// Kind returns the kind of location r names.
func (r Ref) Kind() Kind { return r.kind }

// Path returns the file or directory of an Archive, OCIArchive or Layout
// reference, as given, and "" for other kinds.
func (r Ref) Path() string { return r.path }

// Tag returns the tag of an Archive, OCIArchive or Layout reference (""
// when none was given), or the tag or digest of a Registry or Daemon reference.
func (r Ref) Tag() string {
	if r.ref != nil {
		return r.ref.Identifier()
	}
	return r.tag
}

// Name returns the fully qualified image name of a Registry or Daemon
// reference ("index.docker.io/library/alpine:3.20"), and "" for other kinds.
func (r Ref) Name() string {
	if r.ref != nil {
		return r.ref.Name()
	}
	return ""
}

// String returns r with its transport prefix, in a form Parse accepts.
func (r Ref) String() string {
	switch r.kind {
	case Archive, Layout, OCIArchive:
		if r.tag != "" {
			return r.kind.String() + ":" + r.path + ":" + r.tag
		}
		return r.kind.String() + ":" + r.path
	case Daemon:
		return prefixDaemon + r.ref.String()
	case Registry:
		return prefixRegistry + r.ref.String()
	}
	return "<invalid image reference>"
}

// ParseError reports a reference Parse or ParseDestination cannot accept.
type ParseError struct {
	Input string
	Msg   string
	Err   error
	// Destination is true for an error of ParseDestination.
	Destination bool
}

func (e *ParseError) Error() string {
	what := "image reference"
	if e.Destination {
		what = "destination"
	}
	s := fmt.Sprintf("parsing %s %q: %s", what, e.Input, e.Msg)
	// os.ErrNotExist ("file does not exist") would only repeat the message.
	if e.Err != nil && e.Err != os.ErrNotExist {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// stdinName is how a command line names standard input.
const stdinName = "-"

// Parse parses an image reference to read from:
//
//	docker-archive:PATH[:NAME]  a `docker save` tar or an OCI archive tar;
//	                            NAME picks one image of several by RepoTag
//	oci:DIR[:TAG]               an OCI image layout; TAG matches the
//	                            org.opencontainers.image.ref.name annotation
//	oci-archive:PATH[:TAG]      an OCI image layout packed in a tar (skopeo's
//	                            oci-archive:); TAG as for oci:
//	docker-daemon:NAME[:TAG]    an image in the local Docker Engine
//	docker://REF or REF         an image in a registry
//	PATH                        an existing tar file (as docker-archive:) or
//	                            a directory holding index.json (as oci:);
//	                            a PATH ending in ".tar" that does not exist
//	                            yet is taken as docker-archive:PATH
//
// A PATH or DIR is split from its NAME or TAG at the first colon, unless the
// whole string names an existing file (or a new one in an existing directory
// with a colon in its name). Parse looks at the file system only
// to tell paths from registry references; it opens nothing.
//
// References to write to are parsed with ParseDestination, whose rules for
// a bare string are stricter.
func Parse(s string) (Ref, error) {
	fail := func(msg string, err error) (Ref, error) {
		return Ref{}, &ParseError{Input: s, Msg: msg, Err: err}
	}
	if r, ok, err := parsePrefixed(s, fail); ok {
		return r, err
	}
	if s == stdinName {
		return fail("standard input is not an image reference here (save the stream to a file first; ./- names a file called -)", nil)
	}

	// A bare string: an existing path, or a registry reference.
	if r, ok, err := parseExisting(s, fail); ok {
		return r, err
	}
	if looksLikePath(s) {
		if isNewTar(s) {
			return Ref{kind: Archive, path: s}, nil
		}
		return fail("no such file or directory", os.ErrNotExist)
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return fail("neither an existing path nor a valid image name", err)
	}
	return Ref{kind: Registry, ref: ref}, nil
}

// ParseDestination parses a reference to write to. With a transport prefix
// it is read as Parse reads it. A bare string names:
//
//   - an existing path: a file (as docker-archive:), a directory holding
//     index.json or an empty directory (as oci:); a directory holding other
//     things is refused, since whittle never writes into it;
//   - a new PATH ending in ".tar" (as docker-archive:PATH);
//   - a registry, only when the name starts with a registry host, as Docker
//     decides it: a first path component with a dot or a colon (a port), or
//     "localhost" (registry.example.com/app:1, localhost:5000/app,
//     127.0.0.1:5000/app). A host that is also an existing directory here
//     is refused as ambiguous.
//
// Anything else ("newimage", "app:v2", "team/app") is an error that shows
// how to write each kind of destination: NAME.tar, oci:NAME, docker://NAME
// and docker-daemon:NAME. "-" (standard output) is refused.
//
// Whether the destination may be replaced, and whether its directory is
// writable, is checked by Ref.CheckWrite, not here.
func ParseDestination(s string) (Ref, error) {
	fail := func(msg string, err error) (Ref, error) {
		return Ref{}, &ParseError{Input: s, Msg: msg, Err: err, Destination: true}
	}
	if r, ok, err := parsePrefixed(s, fail); ok {
		return r, err
	}
	if s == stdinName {
		return fail("writing an image to standard output is not supported; name a file (out.tar, oci-archive:out.tar), a layout (oci:DIR) or docker://REF", nil)
	}
	if fi, err := os.Stat(s); err == nil && fi.IsDir() {
		if _, err := os.Stat(filepath.Join(s, "index.json")); err != nil {
			ents, err := os.ReadDir(s)
			if err != nil {
				return fail("reading the directory", err)
			}
			if len(ents) > 0 {
				return fail("a directory that is not an OCI image layout (no index.json); whittle does not write into it (name a new directory, oci:NEWDIR, or a file, NAME.tar)", nil)
			}
		}
		return Ref{kind: Layout, path: s}, nil
	}
	if r, ok, err := parseExisting(s, fail); ok {
		return r, err
	}
	if isNewTar(s) {
		return Ref{kind: Archive, path: s}, nil
	}
	if looksLikePath(s) {
		return fail("no such file or directory; write "+spellings(s), nil)
	}
	if host, ok := registryHost(s); ok {
		ref, err := name.ParseReference(s)
		if err != nil {
			return fail("not a valid image name", err)
		}
		if fi, err := os.Stat(host); err == nil && fi.IsDir() {
			return fail(fmt.Sprintf("ambiguous: %s is a registry host and a directory here; write docker://%s for the registry, or oci:%s for a new layout", host, s, s), nil)
		}
		return Ref{kind: Registry, ref: ref}, nil
	}
	return fail("neither an existing path, a new *.tar file nor an image name with a registry host; write "+spellings(s), nil)
}

// parsePrefixed parses s when it starts with a transport prefix; ok is
// false when it has none.
func parsePrefixed(s string, fail func(string, error) (Ref, error)) (r Ref, ok bool, err error) {
	if strings.TrimSpace(s) == "" {
		r, err = fail("empty reference", nil)
		return r, true, err
	}
	switch {
	case strings.HasPrefix(s, prefixArchive):
		rest := strings.TrimPrefix(s, prefixArchive)
		if strings.HasPrefix(s, diveArchivePrefix) {
			rest = strings.TrimPrefix(s, diveArchivePrefix)
		}
		path, tag := splitPathTag(rest)
		if path == "" {
			r, err = fail("missing path after "+prefixArchive, nil)
			return r, true, err
		}
		if tag != "" {
			if _, err := name.NewTag(tag); err != nil {
				r, err = fail("invalid image name after the path", err)
				return r, true, err
			}
		}
		return Ref{kind: Archive, path: path, tag: tag}, true, nil
	case strings.HasPrefix(s, prefixLayout), strings.HasPrefix(s, prefixOCIArchive):
		kind, prefix, what := Layout, prefixLayout, "directory"
		if strings.HasPrefix(s, prefixOCIArchive) {
			kind, prefix, what = OCIArchive, prefixOCIArchive, "path"
		}
		path, tag := splitPathTag(strings.TrimPrefix(s, prefix))
		if path == "" {
			r, err = fail("missing "+what+" after "+prefix, nil)
			return r, true, err
		}
		if strings.ContainsAny(tag, " \t\r\n") {
			r, err = fail("invalid tag after the "+what, nil)
			return r, true, err
		}
		return Ref{kind: kind, path: path, tag: tag}, true, nil
	case strings.HasPrefix(s, prefixDaemon), strings.HasPrefix(s, prefixRegistry):
		kind, prefix := Daemon, prefixDaemon
		if strings.HasPrefix(s, prefixRegistry) {
			kind, prefix = Registry, prefixRegistry
		}
		rest := strings.TrimPrefix(s, prefix)
		if rest == "" {
			r, err = fail("missing image name after "+prefix, nil)
			return r, true, err
		}
		ref, err := name.ParseReference(rest)
		if err != nil {
			r, err = fail("invalid image name", err)
			return r, true, err
		}
		return Ref{kind: kind, ref: ref}, true, nil
	}
	for p, hint := range unsupportedPrefixes {
		if strings.HasPrefix(s, p) {
			r, err = fail(fmt.Sprintf("unsupported transport %q (%s)", strings.TrimSuffix(p, ":"), hint), nil)
			return r, true, err
		}
	}
	return Ref{}, false, nil
}

// parseExisting parses s when it names an existing path: a regular file
// is an archive, a directory holding index.json a layout. ok is false when
// nothing exists at s.
func parseExisting(s string, fail func(string, error) (Ref, error)) (r Ref, ok bool, err error) {
	fi, err := os.Stat(s)
	if err != nil {
		return Ref{}, false, nil
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(s, "index.json")); err != nil {
			r, err = fail("directory holds no index.json, so it is not an OCI image layout", nil)
			return r, true, err
		}
		return Ref{kind: Layout, path: s}, true, nil
	}
	if !fi.Mode().IsRegular() {
		r, err = fail("not a regular file or directory", nil)
		return r, true, err
	}
	return Ref{kind: Archive, path: s}, true, nil
}

// isNewTar reports whether s, which does not exist, names a new archive: a
// path ending in ".tar" with no colon or @ (which would make it an image
// name with a tag or digest).
func isNewTar(s string) bool {
	return strings.HasSuffix(strings.ToLower(s), ".tar") && !strings.ContainsAny(s, ":@")
}

// registryHost returns the registry host s starts with, by Docker's rule:
// a first component, before a slash, with a dot or a colon or that is
// "localhost".
func registryHost(s string) (string, bool) {
	host, rest, ok := strings.Cut(s, "/")
	if !ok || rest == "" || host == "" {
		return "", false
	}
	if strings.ContainsAny(host, ".:") || host == "localhost" {
		return host, true
	}
	return "", false
}

// spellings lists how to write s as each kind of destination, for the
// error of a bare name that is none of them.
//
// A name written as a directory ("out/") is offered without its trailing
// slashes; a digest ("app@sha256:...") is left out, since an output's digest
// is what its content makes it, not the writer's choice.
func spellings(s string) string {
	orig := s
	if t := strings.TrimRight(s, "/"); t != "" {
		s = t
	}
	if i := strings.LastIndexByte(s, '@'); i > 0 && i > strings.LastIndexByte(s, '/') && strings.Contains(s[i:], ":") {
		s = s[:i]
	}
	base, tag := s, ""
	if i := strings.LastIndexAny(s, ":@"); i > strings.LastIndex(s, "/") {
		base, tag = s[:i], s[i:]
	}
	archive := base + ".tar"
	if tag != "" && tag[0] == ':' {
		archive = prefixArchive + base + ".tar" + ":" + s
	}
	parts := []string{
		archive + " (a docker save archive)",
		prefixLayout + s + " (an OCI image layout)",
	}
	if _, err := name.ParseReference(s); err == nil && !looksLikePath(orig) && !looksLikePath(s) {
		parts = append(parts,
			prefixRegistry+s+" (push to a registry)",
			prefixDaemon+s+" (load into the Docker Engine)")
	}
	last := len(parts) - 1
	return strings.Join(parts[:last], ", ") + " or " + parts[last]
}

// splitPathTag splits "PATH[:TAG]" at the first colon, unless the whole
// string names an existing file, or a new file in an existing directory
// whose name holds the colon.
func splitPathTag(s string) (path, tag string) {
	if _, err := os.Stat(s); err == nil {
		return s, ""
	}
	if dir := filepath.Dir(s); strings.Contains(dir, ":") {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return s, ""
		}
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// looksLikePath reports whether s can only be meant as a file path: it
// starts like one, ends in ".tar", or ends in "/" (a directory; no image
// name does).
func looksLikePath(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasSuffix(s, "/") ||
		strings.HasPrefix(s, "~") || s == "." || s == ".." || strings.ContainsRune(s, filepath.Separator) && filepath.Separator != '/' {
		return true
	}
	return strings.HasSuffix(strings.ToLower(s), ".tar")
}

// Same reports whether r and o name the same location, so that writing to
// one would overwrite the other: the same file or directory (after making
// paths absolute and resolving symbolic links), the same registry repository
// and tag, or the same Docker Engine image name. Two references into one OCI
// layout are the same unless both carry tags and the tags differ: writing a
// new tag into a layout leaves the other entries alone.
func (r Ref) Same(o Ref) bool {
	switch {
	case r.isFile() && o.isFile():
		a, errA := canonicalPath(r.path)
		b, errB := canonicalPath(o.path)
		if errA != nil || errB != nil || a != b {
			return false
		}
		if r.kind == Layout && o.kind == Layout && r.tag != "" && o.tag != "" {
			return r.tag == o.tag
		}
		return true
	case r.kind == Registry && o.kind == Registry, r.kind == Daemon && o.kind == Daemon:
		return r.ref.Context().Name() == o.ref.Context().Name() && r.ref.Identifier() == o.ref.Identifier()
	}
	return false
}

func (r Ref) isFile() bool { return r.kind == Archive || r.kind == Layout || r.kind == OCIArchive }

// canonicalPath returns p absolute and clean, with symbolic links resolved
// as far as the path exists.
func canonicalPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	// Resolve the longest existing prefix; keep the rest as written.
	rest := ""
	cur := abs
	for {
		resolved, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(resolved, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
