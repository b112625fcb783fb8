package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeSections(t *testing.T) {
	f, err := Parse(".whittle.yaml", []byte("analyze:\n  max-wasted-bytes: 20MB\nlint:\n  disable: [WH104]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		MaxWasted string `yaml:"max-wasted-bytes"`
	}
	ok, err := f.Decode("analyze", &a)
	if err != nil || !ok || a.MaxWasted != "20MB" {
		t.Fatalf("analyze: ok=%v err=%v got %+v", ok, err, a)
	}
	var l struct {
		Disable []string `yaml:"disable"`
	}
	if ok, err := f.Decode("lint", &l); err != nil || !ok || len(l.Disable) != 1 || l.Disable[0] != "WH104" {
		t.Fatalf("lint: ok=%v err=%v got %+v", ok, err, l)
	}
	var none struct{}
	if ok, err := f.Decode("squash", &none); ok || err != nil {
		t.Fatalf("missing section: ok=%v err=%v", ok, err)
	}
	var nilFile *File
	if ok, err := nilFile.Decode("lint", &l); ok || err != nil {
		t.Fatalf("nil file: ok=%v err=%v", ok, err)
	}
}

func TestDecodeRejectsUnknownKeys(t *testing.T) {
	f, err := Parse("cfg.yaml", []byte("lint:\n  disabel: [WH104]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Disable []string `yaml:"disable"`
	}
	_, err = f.Decode("lint", &l)
	if err == nil || !strings.Contains(err.Error(), "cfg.yaml") || !strings.Contains(err.Error(), "disabel") {
		t.Fatalf("want an error naming the file and the key, got %v", err)
	}
}

func TestParseError(t *testing.T) {
	if _, err := Parse("bad.yaml", []byte("lint: [\n")); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestFindWalksUp(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := Find(deep); err != nil || p != "" {
		t.Fatalf("no file: got %q, %v", p, err)
	}
	want := filepath.Join(root, "a", FileName)
	if err := os.WriteFile(want, []byte("lint: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Find(deep)
	if err != nil || p != want {
		t.Fatalf("got %q, %v; want %q", p, err, want)
	}
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(root, "missing.yaml")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}
