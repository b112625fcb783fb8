package squash

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The oracle of these tests applies layers one by one to an in-memory
// filesystem, bottom first, as an extractor would, with its own tar
// reading, path cleaning and whiteout handling (none of the code under
// test), and renders the final tree canonically.

type inode struct {
	typ     byte
	mode    int64
	uid     int
	gid     int
	mtime   int64
	xattrs  string
	symlink string
	sum     string
	size    int64
}

type memfs map[string]*inode

func cleanName(n string) string {
	p := path.Clean("/" + n)
	return strings.TrimPrefix(p, "/")
}

func xattrsOf(h *tar.Header) string {
	var kv []string
	for k, v := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") {
			kv = append(kv, k+"="+v)
		}
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (fs memfs) removeTree(p string) {
	delete(fs, p)
	for q := range fs {
		if p == "" || strings.HasPrefix(q, p+"/") {
			delete(fs, q)
		}
	}
}

func (fs memfs) mkParents(p string) error {
	dir := path.Dir(p)
	if dir == "." || dir == "" {
		return nil
	}
	if n, ok := fs[dir]; ok {
		if n.typ != tar.TypeDir {
			return fmt.Errorf("%s: parent %s is not a directory", p, dir)
		}
		return nil
	}
	if err := fs.mkParents(dir); err != nil {
		return err
	}
	fs[dir] = &inode{typ: tar.TypeDir, mode: 0o755}
	return nil
}

// applyLayer applies one uncompressed layer tar.
func (fs memfs) applyLayer(r io.Reader) error {
	type ent struct {
		hdr  *tar.Header
		name string
		sum  string
	}
	var ents []ent
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		hs := sha256.New()
		if _, err := io.Copy(hs, tr); err != nil {
			return err
		}
		n := cleanName(h.Name)
		if n == "" {
			continue
		}
		ents = append(ents, ent{h, n, hex.EncodeToString(hs.Sum(nil))})
	}
	// Whiteouts and opaque markers hide lower layers only: apply them first.
	for _, e := range ents {
		dir, base := path.Split(e.name)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == ".wh..wh..opq":
			for q := range fs {
				if dir == "" || strings.HasPrefix(q, dir+"/") {
					delete(fs, q)
				}
			}
		case strings.HasPrefix(base, ".wh."):
			fs.removeTree(path.Join(dir, strings.TrimPrefix(base, ".wh.")))
		}
	}
	for _, e := range ents {
		if strings.HasPrefix(path.Base(e.name), ".wh.") {
			continue
		}
		h := e.hdr
		if err := fs.mkParents(e.name); err != nil {
			return err
		}
		old := fs[e.name]
		if h.Typeflag == tar.TypeLink {
			t := fs[cleanName(h.Linkname)]
			if t == nil {
				return fmt.Errorf("%s: hard link to missing %s", e.name, h.Linkname)
			}
			if t.typ == tar.TypeDir {
				return fmt.Errorf("%s: hard link to directory %s", e.name, h.Linkname)
			}
			if old != nil && old.typ == tar.TypeDir {
				fs.removeTree(e.name)
			}
			fs[e.name] = t
			continue
		}
		n := &inode{typ: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, mtime: h.ModTime.UnixNano(), xattrs: xattrsOf(h)}
		switch h.Typeflag {
		case tar.TypeReg:
			n.sum, n.size = e.sum, h.Size
		case tar.TypeSymlink:
			n.symlink = h.Linkname
		}
		if old != nil && old.typ == tar.TypeDir && h.Typeflag == tar.TypeDir {
			*old = *n // same directory, new metadata
			continue
		}
		if old != nil {
			fs.removeTree(e.name)
		}
		fs[e.name] = n
	}
	return nil
}

// canon renders the tree: one line per path, hard links shown as the group
// of paths sharing the inode.
func (fs memfs) canon() string {
	groups := map[*inode][]string{}
	var paths []string
	for p, n := range fs {
		paths = append(paths, p)
		groups[n] = append(groups[n], p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		n := fs[p]
		g := groups[n]
		sort.Strings(g)
		link := ""
		if len(g) > 1 {
			link = " links=" + strings.Join(g, "|")
		}
		fmt.Fprintf(&b, "%s %c %o %d:%d %d x[%s] ->%s %s/%d%s\n", p, n.typ, n.mode, n.uid, n.gid, n.mtime, n.xattrs, n.symlink, n.sum, n.size, link)
	}
	return b.String()
}

// applyImage applies every layer of img.
func applyImage(t *testing.T, img v1.Image) memfs {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	fs := memfs{}
	for i, l := range layers {
		if err := applyLayerOf(fs, l); err != nil {
			t.Fatalf("oracle: applying layer %d: %v", i, err)
		}
	}
	return fs
}

func applyLayerOf(fs memfs, l v1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	return fs.applyLayer(rc)
}

// sizeBytes sums the regular-file sizes of every layer's tar headers.
func sizeBytes(t *testing.T, img v1.Image) int64 {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				n += h.Size
			}
		}
		rc.Close()
	}
	return n
}

var testTime = time.Unix(1700000000, 0).UTC()

// markerEntries lists the whiteouts and opaque markers in img's layers,
// as "layer N: path".
func markerEntries(t testing.TB, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(path.Base(cleanName(h.Name)), ".wh.") {
				out = append(out, fmt.Sprintf("layer %d: %s", i, h.Name))
			}
		}
		rc.Close()
	}
	return out
}
