package imageref

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// faultyRegistry serves go-containerregistry's in-process registry, and
// lets fault spoil a request: it is given the kind of request
// ("manifest", "layer" for a GET of the image's layer blob, "other") and
// how many of that kind came before, and reports whether it answered.
type faultyRegistry struct {
	inner http.Handler
	layer string // the path suffix of the layer blob

	mu     sync.Mutex
	counts map[string]int
	ranges int
	fault  func(f *faultyRegistry, kind string, n int, w http.ResponseWriter, r *http.Request) bool
}

func (f *faultyRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := "other"
	switch {
	case r.Method == http.MethodGet && f.layer != "" && strings.HasSuffix(r.URL.Path, f.layer):
		kind = "layer"
	case strings.Contains(r.URL.Path, "/manifests/"):
		kind = "manifest"
	}
	f.mu.Lock()
	n := f.counts[kind]
	f.counts[kind]++
	if r.Header.Get("Range") != "" {
		f.ranges++
	}
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(f, kind, n, w, r) {
		return
	}
	f.inner.ServeHTTP(w, r)
}

// half sends the registry's headers and the first half of its body.
func (f *faultyRegistry) half(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.inner.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
}

// reset closes the connection without a word.
func reset(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

// A registry that stalls, resets and rate-limits: whittle waits no longer
// than its timeout, retries what failed before its headers, resumes a
// body that failed where it stopped, and names the registry and the
// request when it gives up; never hangs.
func TestRegistryFaults(t *testing.T) {
	img, err := random.Image(1<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	layer := "/" + mustDigest(t, ls[0]).String()
	const timeout = 300 * time.Millisecond
	type fault = func(f *faultyRegistry, kind string, n int, w http.ResponseWriter, r *http.Request) bool
	for _, tc := range []struct {
		name  string
		fault fault
		want  string // in the error, HOST for the registry; "" for success
		// ranges is how many Range requests resumed the layer.
		ranges int
	}{
		{"answers", nil, "", 0},
		{"never answers the manifest", func(_ *faultyRegistry, kind string, _ int, _ http.ResponseWriter, r *http.Request) bool {
			if kind != "manifest" {
				return false
			}
			<-r.Context().Done()
			return true
		}, "GET http://HOST/v2/app/manifests/v1: no response headers in time (300ms)", 0},
		{"rate-limits twice, then answers", func(_ *faultyRegistry, kind string, n int, w http.ResponseWriter, _ *http.Request) bool {
			if kind == "manifest" && n < 2 {
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			}
			return false
		}, "", 0},
		{"unavailable, always", func(_ *faultyRegistry, kind string, _ int, w http.ResponseWriter, _ *http.Request) bool {
			if kind == "manifest" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}, "GET http://HOST/v2/app/manifests/v1: unexpected status code 503 Service Unavailable", 0},
		{"resets before the headers, once", func(_ *faultyRegistry, kind string, n int, w http.ResponseWriter, _ *http.Request) bool {
			if kind == "manifest" && n == 0 {
				reset(w)
				return true
			}
			return false
		}, "", 0},
		{"resets halfway through the layer, once", func(f *faultyRegistry, kind string, n int, w http.ResponseWriter, r *http.Request) bool {
			if kind == "layer" && n == 0 {
				f.half(w, r)
				reset(w)
				return true
			}
			return false
		}, "", 1},
		{"stalls halfway through the layer, once", func(f *faultyRegistry, kind string, n int, w http.ResponseWriter, r *http.Request) bool {
			if kind == "layer" && n == 0 {
				f.half(w, r)
				<-r.Context().Done()
				return true
			}
			return false
		}, "", 1},
		{"stalls halfway through the layer, always", func(f *faultyRegistry, kind string, _ int, w http.ResponseWriter, r *http.Request) bool {
			if kind == "layer" {
				f.half(w, r)
				<-r.Context().Done()
				return true
			}
			return false
		}, "GET http://HOST/v2/app/blobs/sha256:", defaultResumes},
		{"resets halfway, and answers a Range with the whole blob", func(f *faultyRegistry, kind string, n int, w http.ResponseWriter, r *http.Request) bool {
			if kind != "layer" {
				return false
			}
			if n == 0 {
				f.half(w, r)
				reset(w)
				return true
			}
			r.Header.Del("Range")
			return false
		}, "not the rest of the body", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &faultyRegistry{inner: registry.New(registry.Logger(log.New(io.Discard, "", 0))), counts: map[string]int{}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			tag, err := name.NewTag(host+"/app:v1", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(tag, img); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			f.layer, f.counts, f.fault = layer, map[string]int{}, tc.fault
			f.mu.Unlock()

			start := time.Now()
			err = readLayers(host+"/app:v1", timeout)
			elapsed := time.Since(start)
			want := strings.ReplaceAll(tc.want, "HOST", host)
			switch {
			case want == "" && err != nil:
				t.Fatalf("err = %v", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("err = %v, want %q", err, want)
			}
			f.mu.Lock()
			ranges := f.ranges
			f.mu.Unlock()
			if ranges != tc.ranges {
				t.Errorf("%d Range requests, want %d", ranges, tc.ranges)
			}
			// Each of go-containerregistry's 3 tries, or of the resumes,
			// waits one timeout at most.
			if elapsed > 10*timeout {
				t.Errorf("took %s", elapsed)
			}
			var ne *NetworkError
			if errors.As(err, &ne) && (ne.URL == "" || ne.Method == "") {
				t.Errorf("the request is not named: %v", err)
			}
			t.Logf("%s: %v", elapsed.Round(time.Millisecond), err)
		})
	}
}

// readLayers opens ref with the timeout and short waits between retries,
// and reads every layer blob (go-containerregistry checks its digest).
func readLayers(ref string, timeout time.Duration) error {
	r, err := Parse(ref)
	if err != nil {
		return err
	}
	fast := func(o *options) error { o.backoff = time.Millisecond; return nil }
	img, err := r.Image(context.Background(), WithInsecure(true), WithTimeout(timeout), fast)
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// A reader who pauses between reads longer than the timeout is not taken
// for a stalled registry: the timer runs only while a read waits.
func TestRegistryPausedReader(t *testing.T) {
	img, err := random.Image(1<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyRegistry{inner: registry.New(registry.Logger(log.New(io.Discard, "", 0))), counts: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tag, err := name.NewTag(host+"/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	r, err := Parse(host + "/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 100 * time.Millisecond
	got, err := r.Image(context.Background(), WithInsecure(true), WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, 1000); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * timeout)
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Fatal(err)
	}
	if f.ranges != 0 {
		t.Errorf("%d Range requests", f.ranges)
	}
}
