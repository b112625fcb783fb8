package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestSquashLayoutDigest: the digest squash prints for an OCI layout
// destination is the digest of the manifest in the layout's index.json
// (read here with go-containerregistry's layout package), not the digest of
// the Docker-typed image before the layout rewrote its media types.
func TestSquashLayoutDigest(t *testing.T) {
	app, err := os.ReadFile(filepath.Join("..", "..", "examples", "app.tar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "app.tar")
	if err := os.WriteFile(src, app, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		layout string // directory under dir
		args   []string
	}{
		{"tag in the reference", "a", []string{"squash", "--all", src, "oci:" + filepath.Join(dir, "a") + ":v1"}},
		{"tag from --tag", "b", []string{"squash", "--all", "--tag", "v1", src, "oci:" + filepath.Join(dir, "b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Execute(context.Background(), tc.args, nil, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			m := regexp.MustCompile(`(?m)^digest: (sha256:[0-9a-f]{64})$`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no digest line in:\n%s", out.String())
			}
			ix, err := layout.ImageIndexFromPath(filepath.Join(dir, tc.layout))
			if err != nil {
				t.Fatal(err)
			}
			im, err := ix.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(im.Manifests) != 1 {
				t.Fatalf("%d manifests in the layout, want 1", len(im.Manifests))
			}
			if got, want := m[1], im.Manifests[0].Digest.String(); got != want {
				t.Errorf("printed digest %s, the layout holds %s", got, want)
			}
		})
	}
}
