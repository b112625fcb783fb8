package imageref

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestRegistrySource(t *testing.T) {
	host := newRegistry(t)
	img := randomImage(t, 3)
	if err := remote.Write(mustRef(t, host+"/team/app:v1"), img); err != nil {
		t.Fatal(err)
	}
	d := mustDigest(t, img)
	for _, s := range []string{host + "/team/app:v1", "docker://" + host + "/team/app:v1", host + "/team/app@" + d.String()} {
		got, err := openRef(t, s, WithInsecure(true), WithKeychain(authn.NewMultiKeychain()))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		sameImage(t, got, img)
	}
	// A single-platform image is checked against an explicit platform.
	arm := smallImage(t, 1, "linux/arm64")
	if err := remote.Write(mustRef(t, host+"/team/arm:v1"), arm); err != nil {
		t.Fatal(err)
	}
	if _, err := openRef(t, host+"/team/arm:v1", WithPlatform("linux/arm64")); err != nil {
		t.Error(err)
	}
	_, err := openRef(t, host+"/team/arm:v1", WithPlatform("linux/amd64"))
	var pe *PlatformError
	if !errors.As(err, &pe) || pe.Available[0] != "linux/arm64" {
		t.Errorf("amd64 from an arm64 image: %v", err)
	}

	for _, s := range []string{host + "/team/app:v2", host + "/team/other:v1"} {
		_, err := openRef(t, s, WithInsecure(true))
		if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "opening docker://"+s+": ") {
			t.Errorf("%s: error %v, want ErrNotFound naming the reference", s, err)
		}
	}
}

// schemeRecorder sends requests for the made-up host registry.test to an
// in-process registry over plain HTTP, and records the schemes asked for.
type schemeRecorder struct {
	target string
	mu     sync.Mutex
	seen   map[string]int
}

func (s *schemeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.seen[req.URL.Scheme]++
	s.mu.Unlock()
	if req.URL.Scheme != "http" {
		return nil, errors.New("TLS is not available here")
	}
	out := req.Clone(req.Context())
	out.URL.Host = s.target
	out.Host = s.target
	return http.DefaultTransport.RoundTrip(out)
}

func TestRegistryInsecure(t *testing.T) {
	host := newRegistry(t)
	img := randomImage(t, 1)
	if err := remote.Write(mustRef(t, host+"/app:v1"), img); err != nil {
		t.Fatal(err)
	}
	r, err := Parse("registry.test:5000/app:v1")
	if err != nil {
		t.Fatal(err)
	}

	secure := &schemeRecorder{target: host, seen: map[string]int{}}
	if _, err := r.Image(context.Background(), withTransport(secure)); err == nil {
		t.Error("image read over plain HTTP without WithInsecure")
	}
	if secure.seen["http"] != 0 || secure.seen["https"] == 0 {
		t.Errorf("without WithInsecure: schemes %v, want https only", secure.seen)
	}

	insecure := &schemeRecorder{target: host, seen: map[string]int{}}
	got, err := r.Image(context.Background(), WithInsecure(true), withTransport(insecure))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, got, img)
	if insecure.seen["http"] == 0 {
		t.Errorf("with WithInsecure: schemes %v, want plain http used", insecure.seen)
	}

	// The sink honours the option the same way.
	out, err := Parse("registry.test:5000/app:copy")
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Write(context.Background(), img, withTransport(&schemeRecorder{target: host, seen: map[string]int{}})); err == nil {
		t.Error("image pushed over plain HTTP without WithInsecure")
	}
	if err := out.Write(context.Background(), img, WithInsecure(true), withTransport(&schemeRecorder{target: host, seen: map[string]int{}})); err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Image(mustRef(t, host+"/app:copy"))
	if err != nil {
		t.Fatal(err)
	}
	sameImage(t, pushed, img)
}
