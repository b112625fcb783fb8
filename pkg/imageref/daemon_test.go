package imageref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	api "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// fakeDaemon is an in-memory Docker Engine: images are `docker save`
// tarballs by name.
type fakeDaemon struct {
	mu     sync.Mutex
	images map[string]v1.Image // by "name:tag" and by config digest
	saves  []string
	// saveOpts counts the options of each ImageSave call.
	saveOpts []int
	loads    [][]byte
}

var _ daemon.Client = (*fakeDaemon)(nil)

func newFakeDaemon() *fakeDaemon { return &fakeDaemon{images: map[string]v1.Image{}} }

func (f *fakeDaemon) add(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	cn, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[normal(ref)] = img
	f.images[cn.String()] = img
}

func normal(ref string) string {
	if r, err := name.ParseReference(ref); err == nil {
		return r.Name()
	}
	return ref
}

func (f *fakeDaemon) lookup(ref string) (v1.Image, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img, ok := f.images[ref]; ok {
		return img, nil
	}
	if img, ok := f.images[normal(ref)]; ok {
		return img, nil
	}
	return nil, fmt.Errorf("no such image: %s: %w", ref, cerrdefs.ErrNotFound)
}

func (f *fakeDaemon) Ping(context.Context, client.PingOptions) (client.PingResult, error) {
	return client.PingResult{APIVersion: "1.52"}, nil
}

func (f *fakeDaemon) ImageSave(_ context.Context, refs []string, opts ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	if len(refs) != 1 {
		return nil, errors.New("fake saves one image")
	}
	img, err := f.lookup(refs[0])
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.saves = append(f.saves, refs[0])
	f.saveOpts = append(f.saveOpts, len(opts))
	f.mu.Unlock()
	var buf bytes.Buffer
	tag, err := name.NewTag(refs[0])
	if err != nil {
		return nil, err
	}
	if err := tarball.Write(tag, img, &buf); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

func (f *fakeDaemon) ImageLoad(_ context.Context, r io.Reader, _ ...client.ImageLoadOption) (client.ImageLoadResult, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.loads = append(f.loads, b)
	f.mu.Unlock()
	return io.NopCloser(strings.NewReader(`{"stream":"Loaded image"}`)), nil
}

func (f *fakeDaemon) ImageTag(context.Context, client.ImageTagOptions) (client.ImageTagResult, error) {
	return client.ImageTagResult{}, nil
}

func (f *fakeDaemon) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	img, err := f.lookup(ref)
	if err != nil {
		return client.ImageInspectResult{}, err
	}
	cn, err := img.ConfigName()
	if err != nil {
		return client.ImageInspectResult{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return client.ImageInspectResult{}, err
	}
	var layers []string
	for _, d := range cf.RootFS.DiffIDs {
		layers = append(layers, d.String())
	}
	return client.ImageInspectResult{InspectResponse: api.InspectResponse{
		ID: cn.String(), Os: cf.OS, Architecture: cf.Architecture,
		Created: "2026-01-02T03:04:05Z",
		RootFS:  api.RootFS{Type: "layers", Layers: layers},
	}}, nil
}

func (f *fakeDaemon) ImageHistory(context.Context, string, ...client.ImageHistoryOption) (client.ImageHistoryResult, error) {
	return client.ImageHistoryResult{}, nil
}

func TestDaemonSource(t *testing.T) {
	fd := newFakeDaemon()
	img := randomImage(t, 3)
	fd.add(t, "app:v1", img)

	got, err := openRef(t, "docker-daemon:app:v1", WithDaemonClient(fd))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
	want, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wantCF, err := v1.ParseConfigFile(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.History) != len(wantCF.History) || cf.Created != wantCF.Created {
		t.Errorf("config is not the image's own: history %d entries (want %d), created %v (want %v)",
			len(cf.History), len(wantCF.History), cf.Created, wantCF.Created)
	}
	if len(fd.saves) != 1 {
		t.Errorf("image saved %d times, want once", len(fd.saves))
	}

	// An explicit platform is passed on to the engine's save.
	got, err = openRef(t, "docker-daemon:app:v1", WithDaemonClient(fd), WithPlatform("linux/arm64"))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
	if !slices.Equal(fd.saveOpts, []int{0, 1}) {
		t.Errorf("save options per call %v, want [0 1]", fd.saveOpts)
	}

	_, err = openRef(t, "docker-daemon:app:v2", WithDaemonClient(fd))
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "opening docker-daemon:app:v2: ") {
		t.Errorf("missing image: %v", err)
	}
}

func TestDaemonSink(t *testing.T) {
	fd := newFakeDaemon()
	img := randomImage(t, 2)
	r, err := Parse("docker-daemon:app:slim")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), img, WithDaemonClient(fd)); err != nil {
		t.Fatal(err)
	}
	if len(fd.loads) != 1 {
		t.Fatalf("%d loads, want 1", len(fd.loads))
	}
	load := fd.loads[0]
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(load)), nil }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != "app:slim" {
		t.Errorf("loaded manifest.json %+v, want one image tagged app:slim", m)
	}
	loaded, err := tarball.Image(opener, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, loaded, img)

	d, err := Parse("docker-daemon:app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(context.Background(), img, WithDaemonClient(fd)); err == nil || !strings.Contains(err.Error(), "needs a tag") {
		t.Errorf("writing to a digest: %v", err)
	}
}

// TestDaemonHonoursDockerHost checks that, without WithDaemonClient, the
// engine named by DOCKER_HOST is asked (here a fake one on a unix socket),
// and that an explicit platform reaches it.
func TestDaemonHonoursDockerHost(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix sockets unavailable: %v", err)
	}
	var mu sync.Mutex
	var inspects []string // path?query of each image inspect
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.52")
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			_, _ = w.Write([]byte("OK"))
			return
		}
		mu.Lock()
		inspects = append(inspects, r.URL.Path+"?"+r.URL.Query().Get("platform"))
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"No such image: app:v1"}`))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	t.Setenv("DOCKER_CONTEXT", "")

	for _, tt := range []struct {
		platform string
		want     string
	}{
		{"", "/images/app:v1/json?"},
		{"linux/arm64/v8", `/images/app:v1/json?{"architecture":"arm64","os":"linux","variant":"v8"}`},
	} {
		mu.Lock()
		inspects = nil
		mu.Unlock()
		_, err = openRef(t, "docker-daemon:app:v1", WithPlatform(tt.platform))
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("error %v, want ErrNotFound", err)
		}
		mu.Lock()
		if !slices.ContainsFunc(inspects, func(s string) bool { return strings.HasSuffix(s, tt.want) }) {
			t.Errorf("platform %q: engine at DOCKER_HOST saw %q, want an inspect ending %q", tt.platform, inspects, tt.want)
		}
		mu.Unlock()
	}
}
