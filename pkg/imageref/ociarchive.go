package imageref

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// writeOCIArchive writes img as the only image of an OCI image layout
// packed in a tar (skopeo's oci-archive:), streamed into a temporary file
// beside the target and renamed into place.
func (r Ref) writeOCIArchive(ctx context.Context, img v1.Image, o *options) error {
	tag, err := r.sinkTag(o)
	if err != nil {
		return err
	}
	if err := r.checkReplace(o); err != nil {
		return err
	}
	if img, err = asOCI(img); err != nil {
		return fmt.Errorf("converting to OCI media types: %w", err)
	}
	return writeFileAtomic(r.path, o, func(w io.Writer) error {
		return writeOCITar(ctx, w, img, tag)
	})
}

// ociLayoutFile is the content of an OCI layout's oci-layout file.
const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// writeOCITar writes img as an OCI image layout in tar form to w: the
// blobs (layers in manifest order, then the config and the manifest), then
// index.json naming the image (annotated with tag when it is not ""), then
// oci-layout. Entries have fixed owners, modes and times, so the same image
// gives the same bytes. Layer blobs are checked against their digests as
// they are copied.
func writeOCITar(ctx context.Context, w io.Writer, img v1.Image, tag string) error {
	tw := tar.NewWriter(&ctxWriter{ctx: ctx, w: w})
	epoch := time.Unix(0, 0).UTC()
	header := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX}
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	small := func(name string, data []byte) error {
		if err := tw.WriteHeader(header(name, int64(len(data)))); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	written := map[v1.Hash]bool{}
	ls, err := img.Layers()
	if err != nil {
		return fmt.Errorf("listing layers: %w", err)
	}
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
		if written[d] {
			continue
		}
		written[d] = true
		if err := copyBlob(tw, header, l, d); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, d, err)
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	cn, err := img.ConfigName()
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	man, err := img.RawManifest()
	if err != nil {
		return fmt.Errorf("reading manifest: %w", err)
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		return fmt.Errorf("describing image: %w", err)
	}
	for _, b := range []struct {
		h    v1.Hash
		data []byte
	}{{cn, cfg}, {desc.Digest, man}} {
		if written[b.h] {
			continue
		}
		written[b.h] = true
		if err := small(blobName(b.h), b.data); err != nil {
			return err
		}
	}
	if tag != "" {
		desc.Annotations = map[string]string{annotationRefName: tag}
	}
	index, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{*desc}})
	if err != nil {
		return err
	}
	if err := small("index.json", index); err != nil {
		return err
	}
	if err := small("oci-layout", []byte(ociLayoutFile)); err != nil {
		return err
	}
	return tw.Close()
}

// copyBlob copies a layer's compressed blob into tw as blobs/sha256/HEX,
// checking its length and digest.
func copyBlob(tw *tar.Writer, header func(string, int64) *tar.Header, l v1.Layer, d v1.Hash) error {
	if d.Algorithm != "sha256" {
		return fmt.Errorf("unsupported digest algorithm %s", d.Algorithm)
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(header(blobName(d), size)); err != nil {
		return err
	}
	vr := &verifyingReader{rc: rc, h: sha256.New(), want: d, left: size}
	n, err := io.Copy(tw, vr)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("blob holds %d bytes, the manifest says %d", n, size)
	}
	return nil
}
