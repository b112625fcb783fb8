package account

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/zeebo/xxh3"

	"github.com/whittle/whittle/pkg/layer"
)

// naive is a deliberately simple second model of the final filesystem:
// a map from path to file, whiteouts and opaque markers applied first
// (lower layers only) by scanning every key, then the entries in tar
// order. It shares no code with fstree, and serves as an oracle for the
// cases mutate.Extract cannot flatten.
type naiveFile struct {
	dir  bool
	ino  *naiveInode // regular files (and hard links to them)
	link bool
}

type naiveInode struct {
	size int64
	hash [16]byte
}

func naiveModel(t *testing.T, img v1.Image) (files map[string][16]byte, visible, wasted, count int64) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]*naiveFile{}
	var all []*naiveInode
	under := func(p, dir string) bool { return dir == "" || strings.HasPrefix(p, dir+"/") }
	for _, l := range layers {
		type ent struct {
			e    layer.Entry
			hash [16]byte
		}
		var ents []ent
		err := layer.Walk(context.Background(), l, func(e *layer.Entry) error {
			b, err := io.ReadAll(e.Reader)
			if err != nil {
				return err
			}
			x := ent{e: *e}
			if len(b) > 0 { // empty files are not hashed
				x.hash = xxh3.Hash128(b).Bytes()
			}
			ents = append(ents, x)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ents {
			if p, ok := x.e.Whiteout(); ok {
				for k := range state {
					if k == p || under(k, p) {
						delete(state, k)
					}
				}
			}
			if d, ok := x.e.Opaque(); ok {
				for k := range state {
					if under(k, d) {
						delete(state, k)
					}
				}
			}
		}
		for _, x := range ents {
			e := x.e
			if _, ok := e.Whiteout(); ok {
				continue
			}
			if _, ok := e.Opaque(); ok || e.Meta() {
				continue
			}
			parts := strings.Split(e.Path, "/")
			for i := 1; i < len(parts); i++ {
				a := strings.Join(parts[:i], "/")
				if f := state[a]; f == nil || !f.dir {
					state[a] = &naiveFile{dir: true}
				}
			}
			old := state[e.Path]
			nf := &naiveFile{}
			switch e.Header.Typeflag {
			case '5':
				if old != nil && old.dir {
					continue
				}
				nf.dir = true
			case '0':
				nf.ino = &naiveInode{size: e.Header.Size, hash: x.hash}
				all = append(all, nf.ino)
			case '1':
				if tf := state[e.Link]; tf != nil && tf.ino != nil {
					nf.ino = tf.ino
				}
			default:
				nf.link = true
			}
			if old != nil && old.dir {
				for k := range state {
					if under(k, e.Path) {
						delete(state, k)
					}
				}
			}
			state[e.Path] = nf
		}
	}
	files = map[string][16]byte{}
	seen := map[*naiveInode]bool{}
	for p, f := range state {
		if f.ino == nil {
			continue
		}
		files[p] = f.ino.hash
		if !seen[f.ino] {
			seen[f.ino] = true
			visible += f.ino.size
			count++
		}
	}
	var total int64
	for _, in := range all {
		total += in.size
	}
	return files, visible, total - visible, count
}

func TestNaiveOracle(t *testing.T) {
	for _, tc := range accountCases {
		t.Run(tc.name, func(t *testing.T) {
			img := build(t, tc.img)
			rep, err := Analyze(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			files, visible, wasted, count := naiveModel(t, img)
			if rep.Image.VisibleBytes != visible || rep.Image.WastedBytes != wasted || rep.Image.Files != count {
				t.Errorf("visible %d wasted %d files %d; naive model: %d %d %d",
					rep.Image.VisibleBytes, rep.Image.WastedBytes, rep.Image.Files, visible, wasted, count)
			}
			if got := visibleFiles(t, img); !reflect.DeepEqual(got, files) {
				t.Errorf("visible files %v, naive model %v", keys(got), keys(files))
			}
		})
	}
}
