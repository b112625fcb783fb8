package imageref

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/daemon"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/whittle/whittle/pkg/spool"
)

// Image opens the image r names. Layers come in the order the image's
// manifest lists them, base first. Multi-platform indexes are resolved with
// WithPlatform; a source holding several images is resolved by the tag in
// the reference. Errors name the reference; errors.Is(err, ErrNotFound)
// tells a missing image, tag or file, and errors.As gives *PlatformError or
// *AmbiguousError when the reference must say more.
//
// Images are read lazily: the returned image reads its blobs when asked, so
// later calls may still fail on I/O. For registries and the Docker Engine,
// ctx also governs those later reads: keep it alive while using the image.
func (r Ref) Image(ctx context.Context, opts ...Option) (v1.Image, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", r, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening %s: %w", r, err)
	}
	var img v1.Image
	switch r.kind {
	case Archive, OCIArchive:
		img, err = r.archiveImage(ctx, o)
	case Layout:
		img, err = r.layoutImage(o)
	case Registry:
		img, err = r.registryImage(ctx, o)
	case Daemon:
		img, err = r.daemonImage(ctx, o)
	default:
		err = errors.New("invalid reference (use Parse)")
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", r, err)
	}
	return img, nil
}

// notFound marks a missing file as ErrNotFound too.
func notFound(err error) error {
	if errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	bzip2Magic = []byte("BZh")
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// sniffCompressed refuses archives that are compressed as a whole
// (`docker save | gzip`): tar entries cannot be addressed inside them.
func sniffCompressed(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return notFound(err)
	}
	defer f.Close()
	head, err := bufio.NewReader(f).Peek(6)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	for _, m := range []struct {
		magic []byte
		name  string
	}{{gzipMagic, "gzip"}, {zstdMagic, "zstd"}, {bzip2Magic, "bzip2"}, {xzMagic, "xz"}} {
		if bytes.HasPrefix(head, m.magic) {
			return fmt.Errorf("the archive is %s-compressed; decompress it to a plain tar first", m.name)
		}
	}
	return nil
}

// archiveImage reads a tar: for docker-archive:, through manifest.json when
// it has one (every `docker save`, legacy or current), else as an OCI image
// layout packed in the tar, served in place; for oci-archive:, always as an
// OCI image layout (index.json).
func (r Ref) archiveImage(ctx context.Context, o *options) (v1.Image, error) {
	if fi, err := os.Stat(r.path); err != nil {
		return nil, notFound(err)
	} else if fi.IsDir() {
		return nil, errors.New("is a directory, not a tar archive (use oci:DIR for an OCI layout)")
	}
	if err := sniffCompressed(r.path); err != nil {
		return nil, err
	}
	t, err := indexTar(ctx, r.path)
	if err != nil {
		return nil, err
	}
	t.lim = o.limits
	switch {
	case r.kind == OCIArchive && !t.has("index.json"):
		return nil, errors.New("no index.json at its root, so it is not an OCI archive (a docker save tar? use docker-archive:PATH)")
	case r.kind == Archive && t.has("manifest.json"):
		img, err := r.dockerSaveImage(t)
		if err != nil {
			return nil, err
		}
		if err := checkPlatform(img, o); err != nil {
			return nil, err
		}
		return img, nil
	case t.has("index.json"):
		raw, err := t.readSmall("index.json", "index")
		if err != nil {
			return nil, fmt.Errorf("reading index.json: %w", err)
		}
		return imageFromLayoutIndex(&tarIndex{t: t, raw: raw}, r.tag, o)
	}
	return nil, errors.New("not an image archive: no manifest.json or index.json at its root")
}

// dockerSaveImage picks the image of a `docker save` archive and opens it
// in place (dockersave.go).
func (r Ref) dockerSaveImage(t *tarFile) (v1.Image, error) {
	m, err := loadSaveManifest(t)
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return nil, err // it names manifest.json
	}
	if err != nil {
		return nil, fmt.Errorf("reading manifest.json: %w", err)
	}
	d, err := pickSaved(m, r.tag)
	if err != nil {
		return nil, err
	}
	return savedImage(t, d)
}

// checkPlatform refuses an image whose config names another platform than
// the one explicitly asked for (a `docker save` archive holds one platform).
func checkPlatform(img v1.Image, o *options) error {
	if !o.explicitPlatform {
		return nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	p := cf.Platform()
	if p == nil || p.OS == "" {
		return nil // the config does not say
	}
	if !normalizePlatform(*p).Satisfies(normalizePlatform(o.platform)) {
		return &PlatformError{Want: o.platform.String(), Available: []string{p.String()}}
	}
	return nil
}

// layoutImage reads an OCI image layout directory.
func (r Ref) layoutImage(o *options) (v1.Image, error) {
	if fi, err := os.Stat(r.path); err != nil {
		return nil, notFound(err)
	} else if !fi.IsDir() {
		return nil, errors.New("is a file, not an OCI layout directory (use docker-archive:PATH for archives)")
	}
	// Read in place, as an OCI archive is (ocitar.go): go-containerregistry's
	// layout package parses the manifest again for every layer.
	dir := dirFile{root: r.path, lim: o.limits}
	raw, err := readSmall(dir, "index.json", "index")
	if err != nil {
		return nil, notFound(fmt.Errorf("reading index.json: %w", err))
	}
	return imageFromLayoutIndex(&tarIndex{t: dir, raw: raw}, r.tag, o)
}

// registryName is the reference with the insecure setting applied.
func (r Ref) registryName(o *options) (name.Reference, error) {
	if !o.insecure {
		return r.ref, nil
	}
	return name.ParseReference(r.ref.String(), name.Insecure)
}

func (r Ref) remoteOptions(ctx context.Context, o *options) []remote.Option {
	ro := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain)}
	base := o.transport
	if base == nil {
		tr := remote.DefaultTransport.(*http.Transport).Clone()
		if o.insecure {
			tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for with WithInsecure
		}
		base = tr
	}
	// Under go-containerregistry's retries: timeouts, and bodies resumed
	// where they stopped (network.go).
	backoff := time.Second
	if o.backoff > 0 {
		backoff = o.backoff
		ro = append(ro, remote.WithRetryBackoff(remote.Backoff{Duration: o.backoff, Factor: 3, Jitter: 0.1, Steps: 3}))
	}
	ro = append(ro, remote.WithTransport(&netTransport{base: base, timeout: o.timeout, resumes: defaultResumes, backoff: backoff}))
	return ro
}

// registryImage reads an image from a registry, resolving a multi-platform
// index by platform.
func (r Ref) registryImage(ctx context.Context, o *options) (v1.Image, error) {
	ref, err := r.registryName(o)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(ref, r.remoteOptions(ctx, o)...)
	if err != nil {
		return nil, registryErr(err)
	}
	what := "manifest"
	if desc.MediaType.IsIndex() {
		what = "index"
	}
	if err := o.limits.check(what, ref.String(), int64(len(desc.Manifest))); err != nil {
		return nil, err
	}
	if desc.MediaType.IsIndex() {
		ix, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		img, err := imageFromIndex(ix, o)
		if err != nil {
			return nil, err
		}
		return limitedImage{Image: img, lim: o.limits}, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	img = limitedImage{Image: img, lim: o.limits}
	if err := checkPlatform(img, o); err != nil {
		return nil, err
	}
	return img, nil
}

// registryErr marks "no such manifest or repository" as ErrNotFound.
func registryErr(err error) error {
	// net/http's *url.Error would name the request a second time.
	var ne *NetworkError
	var ue *url.Error
	if errors.As(err, &ue) && errors.As(ue.Err, &ne) {
		return ne
	}
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		for _, d := range te.Errors {
			if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
				return fmt.Errorf("%w: %w", ErrNotFound, err)
			}
		}
	}
	return err
}

// daemonOptions builds the options for ggcr's daemon package. Without
// WithDaemonClient, ggcr makes a client from the environment (DOCKER_HOST).
func daemonOptions(ctx context.Context, o *options) []daemon.Option {
	do := []daemon.Option{daemon.WithContext(ctx)}
	if o.daemonClient != nil {
		do = append(do, daemon.WithClient(o.daemonClient))
	}
	return do
}

// daemonImage reads an image from the Docker Engine. The engine's `docker
// save` output is buffered once to a file with no name in the temporary
// directory (spoolClient), not to memory. An
// explicit WithPlatform is passed to the engine (API 1.49 or later), which
// then inspects and saves that platform of a multi-platform image.
func (r Ref) daemonImage(ctx context.Context, o *options) (v1.Image, error) {
	c := o.daemonClient
	if c == nil {
		// The client ggcr would make: configured from the environment.
		dc, err := client.New(client.FromEnv)
		if err != nil {
			return nil, fmt.Errorf("connecting to the Docker Engine: %w", err)
		}
		c = dc
	}
	if o.explicitPlatform {
		p := o.platform
		c = platformClient{Client: c, platform: ocispec.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}}
	}
	o2 := *o
	o2.daemonClient = &spoolClient{Client: c, budget: o.budget}
	o = &o2
	do := append(daemonOptions(ctx, o), daemon.WithUnbufferedOpener())
	img, err := daemon.Image(r.ref, do...)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return nil, err
	}
	return daemonImage{Image: img}, nil
}

// daemonImage serves the image's real config. ggcr's daemon image builds
// ConfigFile from `docker inspect` and `docker history`, which lose the
// history's empty_layer flags and so the tie between history and layers.
type daemonImage struct {
	v1.Image
}

func (i daemonImage) ConfigFile() (*v1.ConfigFile, error) {
	raw, err := i.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return v1.ParseConfigFile(bytes.NewReader(raw))
}

// spoolClient saves the image from the engine once, into a file with no
// name in the temporary directory (spool.Create: nothing is left however
// whittle ends), counted against budget, and serves every later ImageSave
// from that file. The file is closed when the image is no longer used.
type spoolClient struct {
	daemon.Client
	budget *spool.Budget

	once sync.Once
	f    *os.File
	size int64
	err  error
}

func (c *spoolClient) ImageSave(ctx context.Context, images []string, opts ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	c.once.Do(func() { c.err = c.save(ctx, images, opts) })
	if c.err != nil {
		return nil, c.err
	}
	return io.NopCloser(io.NewSectionReader(c.f, 0, c.size)), nil
}

func (c *spoolClient) save(ctx context.Context, images []string, opts []client.ImageSaveOption) error {
	rc, err := c.Client.ImageSave(ctx, images, opts...)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := spool.Create("", "whittle-docker-save.tar")
	if err != nil {
		return fmt.Errorf("spooling the Docker Engine's image: %w", err)
	}
	n, err := io.Copy(c.budget.Writer(spool.Writer(ctx, f), "the Docker Engine's image, spooled"), rc)
	if err != nil {
		f.Close()
		return fmt.Errorf("spooling the Docker Engine's image: %w", err)
	}
	// The file is closed by its finalizer once the image is dropped.
	c.f, c.size = f, n
	return nil
}

// platformClient asks the engine for one platform of an image.
type platformClient struct {
	daemon.Client
	platform ocispec.Platform
}

func (c platformClient) ImageSave(ctx context.Context, images []string, opts ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	return c.Client.ImageSave(ctx, images, append(opts, client.ImageSaveWithPlatforms(c.platform))...)
}

func (c platformClient) ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	p := c.platform
	return c.Client.ImageInspect(ctx, image, append(opts, client.ImageInspectWithPlatform(&p))...)
}
