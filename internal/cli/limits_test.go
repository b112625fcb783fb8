package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/whittle/whittle/internal/synth"
)

// TestLimitsScripts runs testdata/limits: what analyze and fleet refuse,
// and the flags that let them read it anyway; images the layer rules do
// not allow.
func TestLimitsScripts(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	bomb := zstdBombLayout(t)
	invalid := invalidLayout(t)
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "limits"),
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			env.Setenv("BOMB", bomb)
			env.Setenv("INVALID", invalid)
			return os.WriteFile(filepath.Join(env.WorkDir, "app.tar"), app, 0o644)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exitcode": cmdExitCode},
	})
}

// zstdBombLayout writes an OCI layout whose one layer is 11 kB of zstd
// that expand to 96 MiB of zeros (a file of 96 MiB, then the tar's end).
func zstdBombLayout(t *testing.T) string {
	t.Helper()
	var blob bytes.Buffer
	zw, err := zstd.NewWriter(&blob)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	w := io.MultiWriter(zw, h)
	raw, err := synth.TarBytes([]synth.Entry{{Kind: synth.KindFile, Path: "zeros", Content: make([]byte, 96<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	l := synth.RawLayer(blob.Bytes(), types.OCILayerZStd, diffID, synth.Digest(blob.Bytes()))
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), l)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bomb")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}

// invalidLayout writes an OCI layout of two layers, the second a hard link
// to a file no layer holds.
func invalidLayout(t *testing.T) string {
	t.Helper()
	img, err := synth.Build(synth.Image{OCI: true, Layers: []synth.Layer{
		{Entries: []synth.Entry{synth.File("etc/app.conf", "x")}},
		{Entries: []synth.Entry{synth.Hardlink("etc/app.link", "etc/missing")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "invalid")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return dir
}
