package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

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
