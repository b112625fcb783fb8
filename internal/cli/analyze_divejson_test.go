package cli

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/account"
)

// diveExportDoc is dive's export as dive declares it (export.go of dive):
// decoding whittle's file into it and marshalling it back as dive does,
// json.MarshalIndent(export, "", "  "), must give the same bytes.
type diveExportDoc struct {
	Layer []diveDocLayer `json:"layer"`
	Image struct {
		SizeBytes        uint64  `json:"sizeBytes"`
		InefficientBytes uint64  `json:"inefficientBytes"`
		EfficiencyScore  float64 `json:"efficiencyScore"`
		InefficientFiles []struct {
			References int    `json:"count"`
			SizeBytes  uint64 `json:"sizeBytes"`
			Path       string `json:"file"`
		} `json:"fileReference"`
	} `json:"image"`
}

type diveDocLayer struct {
	Index     int           `json:"index"`
	ID        string        `json:"id"`
	DigestID  string        `json:"digestId"`
	SizeBytes uint64        `json:"sizeBytes"`
	Command   string        `json:"command"`
	FileList  []diveDocFile `json:"fileList"`
}

type diveDocFile struct {
	Path     string      `json:"path"`
	TypeFlag byte        `json:"typeFlag"`
	Linkname string      `json:"linkName"`
	Size     int64       `json:"size"`
	Mode     os.FileMode `json:"fileMode"`
	UID      int         `json:"uid"`
	GID      int         `json:"gid"`
	IsDir    bool        `json:"isDir"`
}

// snapshotBody is the JSON of dive's export_test.snap (go-snaps' form:
// "[Test_Export - 1]", the JSON with keys sorted and one-space indents,
// "---").
func snapshotBody(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "compat", "dive", "export_test.snap"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(raw), "[Test_Export - 1]\n")
	if !ok {
		t.Fatal("no [Test_Export - 1] in export_test.snap")
	}
	body, _, ok = strings.Cut(body, "\n---\n")
	if !ok {
		t.Fatal("no end of the snapshot")
	}
	return body
}

// snapsForm renders JSON as go-snaps' MatchJSON stores it: keys sorted,
// one-space indents, numbers as written, no HTML escaping.
func snapsForm(t *testing.T, data []byte) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", " ")
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestDiveJSONExportSnapshot compares analyze --json on dive's test image
// with dive's own snapshot of its export of that image (dive's
// export_test.go), field by field and, in the snapshot's form, byte for
// byte; and checks that the file is what dive's json.MarshalIndent writes.
func TestDiveJSONExportSnapshot(t *testing.T) {
	img := filepath.Join("..", "..", "testdata", "compat", "dive", "test-docker-image.tar")
	out := filepath.Join(t.TempDir(), "export.json")
	code, stdout, stderr := runCLI(t, "", "analyze", "--no-cache", "--json", out, img)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	body := snapshotBody(t)

	// Field by field: every layer (index, id, digestId, sizeBytes,
	// command, each file of its list) and the image figures.
	var g, w diveExportDoc
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatal(err)
	}
	if len(g.Layer) != 14 || len(w.Layer) != 14 {
		t.Fatalf("layers: %d, dive's %d, want 14", len(g.Layer), len(w.Layer))
	}
	for i := range w.Layer {
		gl, wl := g.Layer[i], w.Layer[i]
		if gl.Index != wl.Index || gl.ID != wl.ID || gl.DigestID != wl.DigestID || gl.SizeBytes != wl.SizeBytes || gl.Command != wl.Command {
			t.Errorf("layer %d: index %d id %s digest %s size %d command %q\n dive's: index %d id %s digest %s size %d command %q",
				i, gl.Index, gl.ID, gl.DigestID, gl.SizeBytes, gl.Command, wl.Index, wl.ID, wl.DigestID, wl.SizeBytes, wl.Command)
		}
		if len(gl.FileList) != len(wl.FileList) {
			t.Errorf("layer %d: %d files, dive's %d", i, len(gl.FileList), len(wl.FileList))
			continue
		}
		for k := range wl.FileList {
			if gl.FileList[k] != wl.FileList[k] {
				t.Errorf("layer %d file %d: %+v\n dive's %+v", i, k, gl.FileList[k], wl.FileList[k])
			}
		}
	}
	if !reflect.DeepEqual(g.Image, w.Image) {
		t.Errorf("image: %+v\n dive's %+v", g.Image, w.Image)
	}
	// The figures dive's tests assert (testdata/compat/dive/README.md).
	if g.Image.SizeBytes != 1220598 || g.Image.InefficientBytes != 32025 || g.Image.EfficiencyScore != 0.9844212134184309 || len(g.Image.InefficientFiles) != 3 {
		t.Errorf("image figures: %+v", g.Image)
	}

	// Byte for byte in the snapshot's form.
	if s := snapsForm(t, got); s != body {
		t.Errorf("in go-snaps' form, the export differs from dive's snapshot")
	}
	// The file is what dive writes: json.MarshalIndent of its struct.
	want, err := json.MarshalIndent(&g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the file is not dive's MarshalIndent form:\n%s", firstDiff(got, want))
	}
}

// firstDiff shows where a and b first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return "got:  " + string(a[lo:min(len(a), i+80)]) + "\nwant: " + string(b[lo:min(len(b), i+80)])
}

// TestDiveExportFileForm checks the stitching of the layers against
// json.MarshalIndent for no layer, one and two, with empty lists and
// strings that JSON escapes.
func TestDiveExportFileForm(t *testing.T) {
	cfg := &v1.ConfigFile{
		History: []v1.History{{CreatedBy: "/bin/sh -c echo <a> & b"}, {CreatedBy: "ENV X=1", EmptyLayer: true}},
		RootFS:  v1.RootFS{DiffIDs: []v1.Hash{{Algorithm: "sha256", Hex: "aa"}, {Algorithm: "sha256", Hex: "bb"}}},
	}
	layers := []*account.DiveLayer{
		{Index: 0, SizeBytes: 3, Files: []account.DiveFileInfo{{Path: "a\"<b>", TypeFlag: '0', Size: 3, Mode: 0o644}, {}}},
		{Index: 1, Files: []account.DiveFileInfo{}},
	}
	dive := account.Dive{SizeBytes: 3, Efficiency: 1, Inefficiencies: []account.DiveInefficient{}}
	for n := 0; n <= len(layers); n++ {
		path := filepath.Join(t.TempDir(), "x.json")
		x, err := newDiveExportFile(path, nil, cfg, []string{"legacyid/layer.tar"})
		if err != nil {
			t.Fatal(err)
		}
		var want diveExportDoc
		for _, l := range layers[:n] {
			if err := x.layer(l); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.finish(dive); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &want); err != nil {
			t.Fatalf("%d layers: %v\n%s", n, err, got)
		}
		if want.Layer == nil {
			want.Layer = []diveDocLayer{} // dive's make([]Layer, 0)
		}
		b, err := json.MarshalIndent(&want, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%d layers:\n%s", n, firstDiff(got, b))
		}
		// What dive's layer pairing gives (config.go and image_archive.go
		// of dive): the first layer takes the first history entry that
		// is not empty_layer, the second none.
		if n == 2 {
			l0, l1 := want.Layer[0], want.Layer[1]
			if l0.ID != "legacyid" || l0.DigestID != "sha256:aa" || l0.Command != "echo <a> & b" {
				t.Errorf("layer 0: %+v", l0)
			}
			if l1.ID != "blobs" || l1.DigestID != "" || l1.Command != "(missing)" {
				t.Errorf("layer 1: %+v", l1)
			}
		}
	}
}

// TestDiveJSONExportFifo: a FILE that is there and is not a regular file
// (here a fifo) is written into, not replaced by a renamed file.
func TestDiveJSONExportFifo(t *testing.T) {
	img := filepath.Join("..", "..", "testdata", "compat", "dive", "test-docker-image.tar")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no fifo here: %v", err)
	}
	read := make(chan []byte, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // blocks until the writer opens it
		read <- b
	}()
	file := filepath.Join(dir, "file.json")
	for _, out := range []string{fifo, file} {
		if code, stdout, stderr := runCLI(t, "", "analyze", "--no-cache", "--json", out, img); code != 0 || stdout != "" || stderr != "" {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", out, code, stdout, stderr)
		}
	}
	got := <-read
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("through the fifo: %d bytes, to a file %d", len(got), len(want))
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the fifo was replaced: %v, %v", fi, err)
	}
}

// TestDiveJSONExportEdges compares analyze --json with what dive itself
// (built from d6c6919) wrote for edgeArchive, byte for byte.
func TestDiveJSONExportEdges(t *testing.T) {
	raw := edgeArchive(t)
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != "14984972a612c146fb32d94b2344191feb8986777f11a1bfe6bcbc6b47993957" {
		t.Fatal("edgeArchive is not the archive dive exported: regenerate export-edge.dive.json with dive (testdata/compat/dive/README.md)")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "edge.tar")
	if err := os.WriteFile(img, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	assertDiveExport(t, img, filepath.Join("..", "..", "testdata", "compat", "dive", "export-edge.dive.json"))
}

// assertDiveExport runs analyze --json on ref and compares the file, byte
// for byte, with dive's own export in wantFile.
func assertDiveExport(t *testing.T, ref, wantFile string) {
	t.Helper()
	want, err := os.ReadFile(wantFile)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if code, stdout, stderr := runCLI(t, "", "analyze", "--no-cache", "--json", out, ref); code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from dive's export:\n%s", firstDiff(got, want))
	}
}

// edgeEntry is one tar entry of the edge-case image.
type edgeEntry struct {
	name string
	typ  byte
	mode int64
	body string
	link string
	uid  int
	gid  int
	size int64
}

// edgeLayer writes a layer's tar.
func edgeLayer(es []edgeEntry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Uid: e.uid, Gid: e.gid, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if e.typ == tar.TypeChar {
			h.Devmajor, h.Devminor = 1, 3
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err) // a fixed list of valid headers
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return b.Bytes()
}

// edgeArchive is a legacy docker save archive of four layers that holds
// what dive's export treats specially: a root entry, names with "./" and
// "/", parents no entry names, a path written twice in a layer, setuid,
// setgid and sticky modes, a device, a fifo, hard and symbolic links, names
// JSON escapes, whiteouts of a file, a directory and a fifo, opaque
// markers, an empty layer, one layer under blobs/ and a history that ends
// before the last layer (with an empty_layer entry). Its bytes are fixed:
// dive (d6c6919) exported it to testdata/compat/dive/export-edge.dive.json.
func edgeArchive(t *testing.T) []byte {
	t.Helper()
	R, D := byte(tar.TypeReg), byte(tar.TypeDir)
	layers := [][]edgeEntry{
		{
			{name: "./", typ: D, mode: 0o755},
			{name: "etc/", typ: D, mode: 0o755},
			{name: "etc/passwd", typ: R, mode: 0o644, body: "root:x:0:0"},
			{name: "/abs/file", typ: R, mode: 0o600, body: "abs", uid: 1000, gid: 1000},
			{name: "bin/su", typ: R, mode: 0o4755, body: "su-binary"},
			{name: "bin/sg", typ: R, mode: 0o2755, body: "sg"},
			{name: "tmp", typ: D, mode: 0o1777},
			{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
			{name: "fifo", typ: tar.TypeFifo, mode: 0o644},
			{name: "usr/bin/sh", typ: R, mode: 0o755, body: "shell!!"},
			{name: "usr/bin/bash", typ: tar.TypeLink, mode: 0o755, link: "usr/bin/sh"},
			{name: "lib", typ: tar.TypeSymlink, mode: 0o777, link: "usr/lib"},
			{name: "a/b/c/deep", typ: R, mode: 0o644, body: "deep"},
			{name: "etc/passwd", typ: R, mode: 0o640, body: "root:x:0:0:again", uid: 5, gid: 6},
			{name: "weird/<x>&\"é\".txt", typ: R, mode: 0o644, body: "w"},
			{name: "Zed", typ: R, mode: 0o644, body: "z"},
			{name: "a-b", typ: R, mode: 0o644, body: "ab"},
		},
		{
			{name: "etc/.wh.passwd", typ: R},
			{name: "usr/.wh..wh..opq", typ: R},
			{name: "usr/new", typ: R, mode: 0o644, body: "new"},
			{name: "a/.wh.b", typ: R},
			{name: ".wh.fifo", typ: R},
			{name: "etc/passwd2", typ: R, mode: 0o644, body: "root:x:0:0"},
		},
		{},
		{
			{name: "etc/passwd", typ: R, mode: 0o644, body: "root:x:0:0:third"},
			{name: "x/.wh..wh..opq", typ: R},
			{name: "bin/su", typ: R, mode: 0o755, body: "su"},
		},
	}
	var manifestLayers []string
	var diffIDs []string
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for i, l := range layers {
		raw := edgeLayer(l)
		s := sha256.Sum256(raw)
		h := hex.EncodeToString(s[:])
		diffIDs = append(diffIDs, "sha256:"+h)
		name := h[:12] + "/layer.tar"
		if i == 3 {
			name = "blobs/sha256/" + h
		}
		manifestLayers = append(manifestLayers, name)
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(raw))})
		tw.Write(raw)
	}
	cfg := map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history": []map[string]any{
			{"created_by": "/bin/sh -c setup <things> && more"},
			{"created_by": "ENV A=1", "empty_layer": true},
			{"created_by": "COPY x y"},
			{"created_by": "/bin/sh -c true"},
		},
	}
	cb, _ := json.Marshal(cfg)
	cs := sha256.Sum256(cb)
	cname := hex.EncodeToString(cs[:]) + ".json"
	tw.WriteHeader(&tar.Header{Name: cname, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(cb))})
	tw.Write(cb)
	mb, _ := json.Marshal([]map[string]any{{"Config": cname, "RepoTags": []string{"gen:latest"}, "Layers": manifestLayers}})
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(mb))})
	tw.Write(mb)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestDiveJSONExportDiveOutputs compares analyze --json with what dive
// itself (built from d6c6919) wrote for its other test images, byte for
// byte: kaniko's .tar.gz layers, and OCI layouts packed in a tar (every
// id "blobs"), in each compression.
func TestDiveJSONExportDiveOutputs(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "compat", "dive")
	for _, c := range []struct{ image, export string }{
		{"test-kaniko-image.tar", "export-kaniko.dive.json"},
		{"test-oci-gzip-image.tar", "export-oci.dive.json"},
		{"test-oci-zstd-image.tar", "export-oci.dive.json"},
		{"test-oci-uncompressed-image.tar", "export-oci.dive.json"},
		{"test-oci-estargz-image.tar", "export-oci-estargz.dive.json"},
	} {
		t.Run(c.image, func(t *testing.T) {
			assertDiveExport(t, "docker-archive:"+filepath.Join(dir, c.image), filepath.Join(dir, c.export))
		})
	}
}
