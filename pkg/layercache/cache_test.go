package layercache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

func hashOf(n int) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", n)}
}

// sample is an entry holding every kind of field.
func sample(n int) *Entry {
	e := &Entry{DiffID: hashOf(n), UncompressedSize: 10240 + int64(n), Entries: 5, Hashed: true,
		Records: []fstree.Record{
			{Path: "etc", Type: fstree.TypeDir, Mode: 0o755},
			{Path: "etc/a", Type: fstree.TypeReg, Size: 4, Mode: 0o644, Hashed: true, Hash: [16]byte{1, 2, 3, byte(n)}},
			{Path: "etc/empty", Type: fstree.TypeReg, Mode: 0o600},
			{Path: "etc/l", Type: fstree.TypeSymlink, Link: "a", Mode: 0o777},
			{Path: "etc/h", Type: fstree.TypeHardlink, Link: "etc/a"},
			{Path: "gone", Type: fstree.TypeWhiteout},
			{Path: "", Type: fstree.TypeOpaque},
		},
		Owners: []Owner{{0, 0}, {1000, 1000}, {-1, 1 << 40}, {0, 0}, {0, 0}, {0, 0}, {0, 0}},
		Blobs: []Blob{{Digest: hashOf(n + 1000), Size: 333, Compression: layer.Gzip, Limits: layer.DefaultLimits()},
			{Digest: hashOf(n), Size: 10240, Compression: layer.Uncompressed, Limits: layer.NoLimits()}},
		Captures: []CaptureSet{{Spec: "var/lib/dpkg\x00100\x00200", Files: []Capture{
			{Reg: 0, Data: []byte("aaaa")}, {Reg: 1, Data: []byte{}}, {Reg: 2, Skipped: "too-large"}}}},
	}
	return e
}

func open(t *testing.T, dir string, max int64) *Cache {
	t.Helper()
	c, err := Open(dir, Options{MaxBytes: max})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRoundTrip: what Put stores, Get returns as it was, nil and empty
// content kept apart.
func TestRoundTrip(t *testing.T) {
	c := open(t, t.TempDir(), 0)
	want := sample(1)
	if err := c.Put(want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(want.DiffID)
	if !ok {
		t.Fatalf("miss: %+v", c.Stats())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if got.Captures[0].Files[1].Data == nil || got.Captures[0].Files[2].Data != nil {
		t.Error("empty and absent content confused")
	}
	if _, ok := c.Get(hashOf(2)); ok {
		t.Error("hit for a layer never stored")
	}
	if s := c.Stats(); s.Found != 1 || s.Missing != 1 || s.Written != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestInvalidEntries: a truncated, corrupt or foreign entry is a miss, and
// the next Put replaces it.
func TestInvalidEntries(t *testing.T) {
	good, err := encode(sample(1))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := encode(sample(2))
	resum := func(b []byte) []byte {
		s := checksum(b)
		copy(b[56:72], s[:])
		return b
	}
	cases := map[string][]byte{
		"empty":          {},
		"truncated":      good[:len(good)-3],
		"header only":    good[:headerSize],
		"flipped body":   func() []byte { b := append([]byte(nil), good...); b[len(b)-2] ^= 0x40; return b }(),
		"flipped header": func() []byte { b := append([]byte(nil), good...); b[30] ^= 1; return b }(),
		"other version": func() []byte {
			b := append([]byte(nil), good...)
			binary.LittleEndian.PutUint32(b[8:], Version+1)
			return resum(b)
		}(),
		"other layer": other, // a whole entry, of another diff_id
		"bad magic":   func() []byte { b := append([]byte(nil), good...); b[0] = 'X'; return resum(b) }(),
		"garbage body": func() []byte {
			b := append([]byte(nil), good[:headerSize]...)
			b = append(b, []byte("not zstd at all")...)
			binary.LittleEndian.PutUint64(b[16:], uint64(len(b)-headerSize))
			return resum(b)
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c := open(t, dir, 0)
			p := filepath.Join(dir, hashOf(1).Hex+ext)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Get(hashOf(1)); ok {
				t.Fatal("an invalid entry was served")
			}
			if s := c.Stats(); s.Invalid != 1 {
				t.Errorf("stats %+v", s)
			}
			if err := c.Put(sample(1)); err != nil {
				t.Fatal(err)
			}
			if e, ok := c.Get(hashOf(1)); !ok || !reflect.DeepEqual(e, sample(1)) {
				t.Error("not replaced by Put")
			}
		})
	}
}

// TestDecodeNeverPanics: every prefix and every single-byte change of an
// entry, checksummed again so that the body decoder sees it, is refused
// or decoded without a panic.
func TestDecodeNeverPanics(t *testing.T) {
	good, _ := encode(sample(1))
	for n := 0; n < len(good); n++ {
		decode(good[:n], hashOf(1))
	}
	for i := headerSize; i < len(good); i++ {
		b := append([]byte(nil), good...)
		b[i] ^= 0xff
		s := checksum(b)
		copy(b[56:72], s[:])
		decode(b, hashOf(1))
	}
}

// TestEviction: past the cap, the least recently used entries go; Get
// makes an entry the most recently used.
func TestEviction(t *testing.T) {
	dir := t.TempDir()
	b, _ := encode(sample(1))
	size := int64(len(b))
	c := open(t, dir, 3*size+size/2) // room for three entries
	old := time.Now().Add(-time.Hour)
	for n := 1; n <= 3; n++ {
		if err := c.Put(sample(n)); err != nil {
			t.Fatal(err)
		}
		// Distinct times, oldest first: 1, 2, 3.
		at := old.Add(time.Duration(n) * time.Minute)
		os.Chtimes(filepath.Join(dir, hashOf(n).Hex+ext), at, at)
	}
	if _, ok := c.Get(hashOf(1)); !ok { // 1 is now the most recent
		t.Fatal("miss")
	}
	if err := c.Put(sample(4)); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]bool{1: true, 2: false, 3: true, 4: true} {
		_, err := os.Stat(filepath.Join(dir, hashOf(n).Hex+ext))
		if (err == nil) != want {
			t.Errorf("entry %d kept = %v, want %v", n, err == nil, want)
		}
	}
	if s := c.Stats(); s.Evicted != 1 {
		t.Errorf("stats %+v", s)
	}
	// An entry larger than the cap is not stored.
	small := open(t, t.TempDir(), size/2)
	if err := small.Put(sample(1)); err == nil {
		t.Error("an entry over the cap was stored")
	}
	// A leftover temporary file of a dead run is removed, a fresh one kept.
	stale := filepath.Join(dir, tmpPrefix+"dead")
	fresh := filepath.Join(dir, tmpPrefix+"writing")
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(fresh, []byte("x"), 0o644)
	os.Chtimes(stale, old, old)
	c2 := open(t, dir, size) // over the cap at once: counts and evicts
	if err := c2.Put(sample(5)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a temporary file being written was removed")
	}
	if es, _ := filepath.Glob(filepath.Join(dir, "*"+ext)); len(es) != 1 {
		t.Errorf("entries left: %v", es)
	}
}

// TestConcurrent: caches on one directory, used at once, only ever see
// whole entries.
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		c := open(t, dir, 0)
		wg.Go(func() {
			for k := 0; k < 20; k++ {
				n := k%3 + 1
				if err := c.Put(sample(n)); err != nil {
					t.Error(err)
				}
				if e, ok := c.Get(hashOf(n)); ok && !reflect.DeepEqual(e, sample(n)) {
					t.Error("a partial or mixed entry")
				}
			}
			if s := c.Stats(); s.Invalid != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
	wg.Wait()
	if tmps, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

// TestMergeAndWithin: Merge keeps what the older entry knew; Within says
// which limits pass what others passed.
func TestMergeAndWithin(t *testing.T) {
	old := sample(1)
	e := sample(1)
	e.Hashed = false
	e.Records = append([]fstree.Record(nil), e.Records...)
	e.Records[1].Hashed, e.Records[1].Hash = false, [16]byte{}
	e.Blobs = []Blob{{Digest: hashOf(77), Size: 9, Limits: layer.DefaultLimits()}}
	e.Captures = []CaptureSet{{Spec: "other"}}
	m := Merge(e, old)
	if !m.Hashed || !m.Records[1].Hashed || len(m.Blobs) != 3 || len(m.Captures) != 2 {
		t.Errorf("merged %+v", m)
	}
	if Merge(e, sample(2)) != e {
		t.Error("merged with another layer's entry")
	}
	def := layer.DefaultLimits()
	stricter := def
	stricter.MaxBytes = 1 << 20
	for _, c := range []struct {
		now, passed layer.Limits
		want        bool
	}{
		{def, def, true},
		{layer.NoLimits(), def, true},
		{def, layer.NoLimits(), false},
		{stricter, def, false},
		{def, stricter, true},
	} {
		if got := Within(c.now, c.passed); got != c.want {
			t.Errorf("Within(%+v, %+v) = %v", c.now, c.passed, got)
		}
	}
	if _, ok := old.Blob(hashOf(1001), 333, stricter); ok {
		t.Error("a blob read under looser limits served stricter ones")
	}
	if _, ok := old.Blob(hashOf(1001), 333, def); !ok {
		t.Error("blob not found")
	}
	if _, ok := old.Blob(hashOf(1001), 334, def); ok {
		t.Error("blob of another length served")
	}
}

// TestFormatNeedsVersion: the body of an entry is what it was when
// Version was last set. When this fails, the format changed: bump Version
// (entries of the old format must be read again, not misread), then set
// the digest below.
func TestFormatNeedsVersion(t *testing.T) {
	var b bytes.Buffer
	bw := bufio.NewWriter(&b)
	encodeBody(bw, sample(1))
	bw.Flush()
	const want, wantVersion = "d89f7f2788d1fca018acfb89902dd55a3d8357efea69fe7b59f5b6463c198f40", 1
	got := fmt.Sprintf("%x", sha256.Sum256(b.Bytes()))
	if got != want || Version != wantVersion {
		t.Errorf("entry body digest %s (Version %d), want %s (Version %d): bump Version if the format changed", got, Version, want, wantVersion)
	}
}
