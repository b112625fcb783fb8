package squash

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle/whittle/pkg/account"
)

func TestSquashPrune(t *testing.T) {
	img := buildImage(t, false,
		[]te{d("var"), d("var/lib"), d("var/lib/apt"), d("var/lib/apt/lists"), f("var/lib/apt/lists/lock", ""), f("var/lib/apt/lists/old_Release", "old")},
		[]te{f("var/lib/apt/lists/x_Packages", "pkgs"), f("var/lib/apt/lists/old_Release", "new"), d("var/cache"), d("var/cache/apt"), d("var/cache/apt/archives"), f("var/cache/apt/archives/a.deb", "deb"), f("usr/bin/tool", "t"), d("root"), d("root/.cache"), d("root/.cache/pip"), f("root/.cache/pip/wheel", "wheel bytes")},
		[]te{d("tmp"), f("tmp/junk", "j"), f("tmp/big", "0123456789")},
		[]te{wh("tmp/big")},
	)
	for _, tc := range []struct {
		prune []string
		drop  map[string]bool
	}{
		{[]string{PruneAll}, map[string]bool{"var/lib/apt/lists/x_Packages": true, "var/lib/apt/lists/old_Release": true, "var/cache/apt/archives/a.deb": true, "root/.cache/pip/wheel": true, "tmp/junk": true}},
		{[]string{"apt-lists", "tmp"}, map[string]bool{"var/lib/apt/lists/x_Packages": true, "var/lib/apt/lists/old_Release": true, "tmp/junk": true}},
	} {
		res := squashOK(t, img, WithPrune(tc.prune...))
		if err := validate.Image(res.Image); err != nil {
			t.Fatal(err)
		}
		// The oracle: the input's final tree without the pruned paths
		// (a pruned file that hid a base file hides it still).
		want := applyImage(t, img)
		for p := range tc.drop {
			delete(want, p)
		}
		if got := applyImage(t, res.Image).canon(); got != want.canon() {
			t.Errorf("%v: tree\n%s\nwant\n%s", tc.prune, got, want.canon())
		}
		// What was pruned is analyze's visible cache bytes of the merged
		// layers, by category.
		rep, err := account.Analyze(context.Background(), img)
		if err != nil {
			t.Fatal(err)
		}
		wantBytes := map[string]int64{}
		for _, c := range rep.Caches {
			for _, lb := range c.Layers {
				if lb.Layer >= len(res.Plan.Kept) {
					wantBytes[c.Category] += lb.Bytes
				}
			}
		}
		var pruned, files int64
		for _, p := range res.Pruned {
			pruned += p.Bytes
			files += p.Files
			if p.Bytes != wantBytes[p.Category] {
				t.Errorf("%v: pruned %s %d bytes, analyze counts %d", tc.prune, p.Category, p.Bytes, wantBytes[p.Category])
			}
			for _, path := range p.Paths {
				if !tc.drop[path] {
					t.Errorf("%v: pruned %s", tc.prune, path)
				}
			}
		}
		if int(files) != len(tc.drop) {
			t.Errorf("%v: pruned %d files, want %d", tc.prune, files, len(tc.drop))
		}
		if res.SavedBytes != res.WastedBytes+pruned || res.WastedBytes != 10 {
			t.Errorf("%v: saved %d, wasted %d, pruned %d", tc.prune, res.SavedBytes, res.WastedBytes, pruned)
		}
		if in, out := sizeBytes(t, img), sizeBytes(t, res.Image); out != in-res.SavedBytes {
			t.Errorf("size_bytes(out) = %d, want %d - %d", out, in, res.SavedBytes)
		}
	}
	if _, err := Squash(context.Background(), img, WithPrune("apt-lists", "bogus")); err == nil {
		t.Errorf("unknown category accepted")
	}
}
