package imageref

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotTar checks that files that are no tar archive say so, and that a
// real tar cut short still reports truncation.
func TestNotTar(t *testing.T) {
	// A real archive: a 2000-byte manifest.json, so cuts can land in its
	// header (first 512 bytes) or its content.
	var real bytes.Buffer
	tw := tar.NewWriter(&real)
	body := bytes.Repeat([]byte("x"), 2000)
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	dockerfile := []byte("FROM alpine:3.20\nRUN apk add --no-cache curl\n")
	tests := []struct {
		name    string
		content []byte
		// notTar: the error must be ErrNotTar with this reason; else
		// truncated: the error must wrap io.ErrUnexpectedEOF and not be
		// ErrNotTar; else the archive is a tar that holds no image.
		notTar    string
		truncated bool
	}{
		{name: "short text", content: dockerfile, notTar: "no tar header at offset 0"},
		{name: "long text", content: bytes.Repeat(dockerfile, 40), notTar: "no tar header at offset 0"},
		{name: "empty", content: nil, notTar: "empty file"},
		{name: "one byte", content: []byte("\n"), notTar: "no tar header at offset 0"},
		{name: "binary", content: bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 300), notTar: "no tar header at offset 0"},
		{name: "cut in content", content: real.Bytes()[:800], truncated: true},
		{name: "cut before end of content", content: real.Bytes()[:512+1999], truncated: true},
		{name: "cut in first header after magic", content: real.Bytes()[:300], truncated: true},
		{name: "empty tar", content: make([]byte, 1024)},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "in"+string(rune('a'+i)))
			if err := os.WriteFile(p, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Parse("docker-archive:" + p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Image(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			switch {
			case tt.notTar != "":
				want := "opening docker-archive:" + p + ": not a tar archive (" + tt.notTar + ")"
				if msg != want {
					t.Errorf("error %q, want %q", msg, want)
				}
				if !errors.Is(err, ErrNotTar) {
					t.Errorf("error %q is not ErrNotTar", msg)
				}
			case tt.truncated:
				if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrNotTar) {
					t.Errorf("error %q: want a truncation, not ErrNotTar", msg)
				}
				if !strings.Contains(msg, "truncated") {
					t.Errorf("error %q does not say truncated", msg)
				}
			default:
				if errors.Is(err, ErrNotTar) || !strings.HasSuffix(msg, "not an image archive: no manifest.json or index.json at its root") {
					t.Errorf("error %q, want the tar read and found holding no image", msg)
				}
			}
		})
	}
}
