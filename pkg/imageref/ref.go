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
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Transport prefixes accepted by Parse.
const (
	prefixArchive  = "docker-archive:"
	prefixLayout   = "oci:"
	prefixDaemon   = "docker-daemon:"
	prefixRegistry = "docker://"
)

// Prefixes of transports other tools know that whittle does not read; they
// are refused with a hint rather than taken for registry references.
var unsupportedPrefixes = map[string]string{
	"oci-archive:":        "use docker-archive:PATH, which also reads OCI archives",
	"containers-storage:": "export the image first, for example with docker-archive:PATH",
	"dir:":                "use oci:DIR for an OCI image layout",
}

// Ref is a parsed image reference: where an image is read from or written to.
// The zero Ref is invalid; get one from Parse.
type Ref struct {
	kind Kind
	// path is the file or directory of an Archive or Layout, as given.
	path string
	// tag selects (and names, when writing) an image in an Archive
	// (a docker reference such as "app:v1") or a Layout (the
	// org.opencontainers.image.ref.name annotation).
	tag string
	// ref is the image of a Registry or Daemon reference.
	ref name.Reference
}

// Kind returns the kind of location r names.
func (r Ref) Kind() Kind { return r.kind }

// Path returns the file or directory of an Archive or Layout reference, as
// given, and "" for other kinds.
func (r Ref) Path() string { return r.path }

// Tag returns the tag of an Archive or Layout reference ("" when none was
// given), or the tag or digest of a Registry or Daemon reference.
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
	case Archive, Layout:
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

// ParseError reports a reference Parse cannot accept.
type ParseError struct {
	Input string
	Msg   string
	Err   error
}

func (e *ParseError) Error() string {
	s := fmt.Sprintf("parsing image reference %q: %s", e.Input, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse parses an image reference:
//
//	docker-archive:PATH[:NAME]  a `docker save` tar or an OCI archive tar;
//	                            NAME picks one image of several by RepoTag
//	oci:DIR[:TAG]               an OCI image layout; TAG matches the
//	                            org.opencontainers.image.ref.name annotation
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
func Parse(s string) (Ref, error) {
	fail := func(msg string, err error) (Ref, error) {
		return Ref{}, &ParseError{Input: s, Msg: msg, Err: err}
	}
	if strings.TrimSpace(s) == "" {
		return fail("empty reference", nil)
	}
	switch {
	case strings.HasPrefix(s, prefixArchive):
		path, tag := splitPathTag(strings.TrimPrefix(s, prefixArchive))
		if path == "" {
			return fail("missing path after "+prefixArchive, nil)
		}
		if tag != "" {
			if _, err := name.NewTag(tag); err != nil {
				return fail("invalid image name after the path", err)
			}
		}
		return Ref{kind: Archive, path: path, tag: tag}, nil
	case strings.HasPrefix(s, prefixLayout):
		path, tag := splitPathTag(strings.TrimPrefix(s, prefixLayout))
		if path == "" {
			return fail("missing directory after "+prefixLayout, nil)
		}
		if strings.ContainsAny(tag, " \t\r\n") {
			return fail("invalid tag after the directory", nil)
		}
		return Ref{kind: Layout, path: path, tag: tag}, nil
	case strings.HasPrefix(s, prefixDaemon):
		rest := strings.TrimPrefix(s, prefixDaemon)
		if rest == "" {
			return fail("missing image name after "+prefixDaemon, nil)
		}
		ref, err := name.ParseReference(rest)
		if err != nil {
			return fail("invalid image name", err)
		}
		return Ref{kind: Daemon, ref: ref}, nil
	case strings.HasPrefix(s, prefixRegistry):
		rest := strings.TrimPrefix(s, prefixRegistry)
		if rest == "" {
			return fail("missing image name after "+prefixRegistry, nil)
		}
		ref, err := name.ParseReference(rest)
		if err != nil {
			return fail("invalid image name", err)
		}
		return Ref{kind: Registry, ref: ref}, nil
	}
	for p, hint := range unsupportedPrefixes {
		if strings.HasPrefix(s, p) {
			return fail(fmt.Sprintf("unsupported transport %q (%s)", strings.TrimSuffix(p, ":"), hint), nil)
		}
	}

	// A bare string: an existing path, or a registry reference.
	if fi, err := os.Stat(s); err == nil {
		if fi.IsDir() {
			if _, err := os.Stat(filepath.Join(s, "index.json")); err != nil {
				return fail("directory holds no index.json, so it is not an OCI image layout", nil)
			}
			return Ref{kind: Layout, path: s}, nil
		}
		if !fi.Mode().IsRegular() {
			return fail("not a regular file or directory", nil)
		}
		return Ref{kind: Archive, path: s}, nil
	}
	if looksLikePath(s) {
		if strings.HasSuffix(strings.ToLower(s), ".tar") && !strings.ContainsAny(s, ":@") {
			return Ref{kind: Archive, path: s}, nil
		}
		return fail("no such file or directory (name a new output with docker-archive:PATH or oci:DIR)", os.ErrNotExist)
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		return fail("neither an existing path nor a valid image name", err)
	}
	return Ref{kind: Registry, ref: ref}, nil
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

// looksLikePath reports whether s can only be meant as a file path.
func looksLikePath(s string) bool {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
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

func (r Ref) isFile() bool { return r.kind == Archive || r.kind == Layout }

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
