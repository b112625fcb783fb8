package account

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/whittle/whittle/pkg/layer"
)

// corrupting serves the registry, but serves the blob named corrupt (when
// set) as replacement: the same size and the same tar, so that only the
// digest of the blob tells.
type corrupting struct {
	next        http.Handler
	corrupt     string
	replacement []byte
}

func (c *corrupting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.corrupt == "" || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+c.corrupt) {
		c.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	c.next.ServeHTTP(rec, r)
	b := c.replacement
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(rec.Code)
	io.Copy(w, bytes.NewReader(b))
}

func TestAnalyzeRemote(t *testing.T) {
	h := &corrupting{next: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(h)
	defer srv.Close()
	img := build(t, accountCases[3].img) // opaque dir case
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/test/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	want, err := Analyze(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	rimg, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Analyze(context.Background(), rimg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("remote report differs:\n got %+v\nwant %+v", got, want)
	}
	// A blob altered in transit is refused (go-containerregistry verifies
	// remote blobs; whittle does not hash them twice).
	ls, _ := img.Layers()
	d, _ := ls[1].Digest()
	rc, _ := ls[1].Compressed()
	blob, _ := io.ReadAll(rc)
	blob = append([]byte{}, blob...)
	blob[4] ^= 0xff // the gzip header's MTIME: same size, same content
	h.corrupt, h.replacement = d.String(), blob
	rimg, err = remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Analyze(context.Background(), rimg)
	var corrupt *layer.CorruptError
	t.Logf("refused: %v", err)
	if !errors.As(err, &corrupt) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("a blob that is not the one named was accepted: %v", err)
	}
}
