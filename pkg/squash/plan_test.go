package squash

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle/whittle/pkg/account"
)

func TestHistoryBase(t *testing.T) {
	L := func(by string) v1.History { return v1.History{CreatedBy: by} }
	E := func(by string) v1.History { return v1.History{CreatedBy: by, EmptyLayer: true} }
	cases := []struct {
		name string
		h    []v1.History
		want int // history index of the first merged entry, -1 none
	}{
		{"official base then RUNs", []v1.History{L("/bin/sh -c #(nop) ADD file:abc in / "), E(`/bin/sh -c #(nop)  CMD ["bash"]`), L("/bin/sh -c apt-get update"), E("/bin/sh -c #(nop)  ENV A=1"), L("RUN /bin/sh -c make # buildkit")}, 2},
		{"buildkit CMD form", []v1.History{L("ADD rootfs.tar.xz / # buildkit"), E(`CMD ["/bin/sh"]`), L("RUN /bin/sh -c apk add x # buildkit")}, 2},
		{"two bases: the last one counts", []v1.History{L("ADD x /"), E(`CMD ["bash"]`), L("RUN install python"), E(`CMD ["python3"]`), L("COPY . /app"), E(`CMD ["app"]`)}, 4},
		{"docker import", []v1.History{{Comment: "Imported from -"}, L("/bin/sh -c apt-get install -y x"), L("/bin/sh -c rm -rf x")}, 1},
		{"entrypoint ends the base", []v1.History{L("ADD x /"), E(`/bin/sh -c #(nop)  ENTRYPOINT ["/init"]`), L("RUN x")}, 2},
		{"own CMD last only", []v1.History{L("ADD x /"), L("RUN y"), E(`CMD ["y"]`)}, -1},
		{"no signs", []v1.History{L("ADD x /"), L("RUN y")}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := account.CountLayers(tc.h)
			got, why := historyBase(tc.h, historyLayers(tc.h, n))
			if got != tc.want {
				t.Fatalf("split = %d (%s), want %d", got, why, tc.want)
			}
			if got >= 0 && why == "" {
				t.Errorf("no reason given")
			}
		})
	}
	// A history that does not match the layers tells nothing.
	h := []v1.History{{CreatedBy: "ADD x /"}, {CreatedBy: "CMD [\"sh\"]", EmptyLayer: true}, {CreatedBy: "RUN y"}}
	if got, _ := historyBase(h, historyLayers(h, 3)); got != -1 {
		t.Errorf("mismatched history gave split %d", got)
	}
}

func TestPlanSources(t *testing.T) {
	ctx := context.Background()
	l0 := []te{d("etc"), f("etc/os-release", "base")}
	img := buildImage(t, true, l0, []te{f("a", "a")}, []te{f("b", "b")})
	base := buildImage(t, true, l0)

	p, err := MakePlan(ctx, img, WithBase(base))
	if err != nil || p.BaseFrom != FromBase || len(p.Kept) != 1 || len(p.Merged) != 2 {
		t.Fatalf("--base: %+v, %v", p, err)
	}
	other := buildImage(t, true, []te{f("other", "o")})
	if _, err := MakePlan(ctx, img, WithBase(other)); err == nil || !strings.Contains(err.Error(), "shares no layer") {
		t.Errorf("unrelated base: %v", err)
	}
	if p, err := MakePlan(ctx, img, WithKeepLayers(2)); err != nil || p.BaseFrom != FromKeepLayers || len(p.Kept) != 2 {
		t.Errorf("keep 2: %+v, %v", p, err)
	}
	if p, err := MakePlan(ctx, img, WithAll(true)); err != nil || p.BaseFrom != FromAll || len(p.Kept) != 0 || len(p.Merged) != 3 {
		t.Errorf("all: %+v, %v", p, err)
	}
	if _, err := MakePlan(ctx, img, WithAll(true), WithKeepLayers(1)); err == nil {
		t.Errorf("conflicting options accepted")
	}

	// Base-image annotations, resolved by the caller; history otherwise.
	bd, _ := base.Digest()
	annotated := mutate.Annotations(img, map[string]string{AnnotationBaseName: "example.com/base:1", AnnotationBaseDigest: bd.String()}).(v1.Image)
	var asked string
	resolver := func(_ context.Context, name, digest string) (v1.Image, error) {
		asked = name + "@" + digest
		return base, nil
	}
	p, err = MakePlan(ctx, annotated, WithBaseResolver(resolver))
	if err != nil || p.BaseFrom != FromAnnotation || len(p.Kept) != 1 || asked != "example.com/base:1@"+bd.String() {
		t.Fatalf("annotation: %+v, %v (asked %q)", p, err, asked)
	}
	failing := func(context.Context, string, string) (v1.Image, error) { return nil, errors.New("offline") }
	p, err = MakePlan(ctx, annotated, WithBaseResolver(failing))
	if err != nil || p.BaseFrom != FromHistory {
		t.Fatalf("unresolvable annotation: %+v, %v", p, err)
	}
	// The squashed image keeps the annotations.
	res := squashOK(t, annotated, WithBaseResolver(resolver))
	m, _ := res.Image.Manifest()
	if m.Annotations[AnnotationBaseDigest] != bd.String() {
		t.Errorf("annotations lost: %v", m.Annotations)
	}

	// No sign anywhere: squash asks.
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.History = nil
	bare, _ := mutate.ConfigFile(img, cfg)
	if _, err := MakePlan(ctx, bare); !errors.Is(err, ErrNoBase) {
		t.Errorf("no history: %v", err)
	}
	// Without history, the output has none either, and is valid.
	res = squashOK(t, bare, WithKeepLayers(1))
	oc, _ := res.Image.ConfigFile()
	if len(oc.History) != 0 {
		t.Errorf("history invented: %v", oc.History)
	}
	if err := validate.Image(res.Image); err != nil {
		t.Error(err)
	}
}

func TestSquashZstd(t *testing.T) {
	img := buildImage(t, true, squashCases[0].layers...)
	res := squashOK(t, img, WithCompression(Zstd))
	if res.Layer.MediaType != types.OCILayerZStd {
		t.Errorf("media type %s", res.Layer.MediaType)
	}
	// validate reads layers as gzip only: check the rest, and the merged
	// layer's digests here.
	if err := validate.Image(res.Image, validate.Fast); err != nil {
		t.Fatal(err)
	}
	rc, _ := res.Image.(interface {
		LayerByDigest(v1.Hash) (v1.Layer, error)
	}).LayerByDigest(mustHash(t, res.Layer.Digest))
	checkBlob(t, rc, res.Layer)
	if want, got := applyImage(t, img).canon(), applyImage(t, res.Image).canon(); got != want {
		t.Errorf("final tree differs\n%s\n%s", want, got)
	}
	if _, err := Squash(context.Background(), buildImage(t, false, squashCases[0].layers...), WithCompression(Zstd)); err == nil {
		t.Errorf("zstd accepted for a Docker image")
	}
}

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkBlob hashes a layer's compressed and uncompressed streams.
func checkBlob(t *testing.T, l v1.Layer, info *LayerInfo) {
	t.Helper()
	for _, c := range []struct {
		open func() (io.ReadCloser, error)
		want string
	}{{l.Compressed, info.Digest}, {l.Uncompressed, info.DiffID}} {
		r, err := c.open()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(r)
		r.Close()
		if err != nil || h.String() != c.want {
			t.Errorf("blob hashes to %s, want %s (%v)", h, c.want, err)
		}
	}
}

func TestSquashProgress(t *testing.T) {
	img := buildImage(t, false, squashCases[0].layers...)
	for _, dry := range []bool{false, true} {
		var got []Progress
		res := squashOK(t, img, WithDryRun(dry), WithProgress(func(p Progress) { got = append(got, p) }))
		if len(got) < 3 {
			t.Fatalf("dry=%v: %d reports", dry, len(got))
		}
		last := got[len(got)-1]
		if !last.Done || last.Layers != 2 || last.LayersDone != 2 {
			t.Errorf("dry=%v: last report %+v", dry, last)
		}
		if !dry && (last.Phase != PhaseWrite || last.Bytes != res.OutBytes || last.TotalBytes != res.OutBytes) {
			t.Errorf("last report %+v, out bytes %d", last, res.OutBytes)
		}
		for i := 1; i < len(got); i++ {
			if got[i].LayersDone < got[i-1].LayersDone || got[i-1].Done {
				t.Errorf("dry=%v: reports out of order: %+v", dry, got)
			}
		}
	}
}

// TestNothingToMerge: when every layer belongs to the base, the plan keeps
// them all; a dry run reports that nothing would be saved, and a real run
// refuses with ErrNothingToMerge, writing nothing.
func TestNothingToMerge(t *testing.T) {
	ctx := context.Background()
	img := buildImage(t, false, []te{f("a", "a")}, []te{f("a", "b")})
	base := img
	for _, opt := range []Option{WithKeepLayers(2), WithBase(base)} {
		p, err := MakePlan(ctx, img, opt)
		if err != nil || len(p.Kept) != 2 || len(p.Merged) != 0 {
			t.Errorf("plan: %+v, %v", p, err)
		}
		res, err := Squash(ctx, img, opt, WithDryRun(true), WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if !res.DryRun || res.Image != nil || res.SavedBytes != 0 || res.WastedBytes != 0 || len(res.Plan.Merged) != 0 || res.Pruned == nil {
			t.Errorf("dry run: %+v", res)
		}
		if _, err := Squash(ctx, img, opt, WithTempDir(t.TempDir())); !errors.Is(err, ErrNothingToMerge) || !strings.Contains(err.Error(), "all 2 layers belong to the base") {
			t.Errorf("real run: %v, want ErrNothingToMerge", err)
		}
	}
}
