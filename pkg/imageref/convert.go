package imageref

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ociMediaTypes maps Docker media types to their OCI equivalents.
var ociMediaTypes = map[types.MediaType]types.MediaType{
	types.DockerManifestSchema2:   types.OCIManifestSchema1,
	types.DockerConfigJSON:        types.OCIConfigJSON,
	types.DockerLayer:             types.OCILayer,
	types.DockerUncompressedLayer: types.OCIUncompressedLayer,
	types.DockerForeignLayer:      types.OCIRestrictedLayer,
}

func toOCIMediaType(mt types.MediaType) types.MediaType {
	if o, ok := ociMediaTypes[mt]; ok {
		return o
	}
	return mt
}

// asOCI returns img with an OCI manifest when it has a Docker one: tools
// that read OCI layouts (skopeo, umoci) ignore entries with Docker media
// types. The config and layer blobs keep their bytes and digests; only the
// manifest, and so the image digest, changes.
func asOCI(img v1.Image) (v1.Image, error) {
	mt, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	if mt != types.DockerManifestSchema2 {
		return img, nil
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	m.MediaType = types.OCIManifestSchema1
	m.Config.MediaType = toOCIMediaType(m.Config.MediaType)
	for i := range m.Layers {
		m.Layers[i].MediaType = toOCIMediaType(m.Layers[i].MediaType)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&ociManifestImage{src: img, raw: raw, manifest: m, config: cfg})
}

// ociManifestImage serves img's blobs under a rewritten manifest.
type ociManifestImage struct {
	src      v1.Image
	raw      []byte
	manifest *v1.Manifest
	config   []byte
}

var _ partial.CompressedImageCore = (*ociManifestImage)(nil)

func (i *ociManifestImage) RawConfigFile() ([]byte, error) { return i.config, nil }

func (i *ociManifestImage) MediaType() (types.MediaType, error) {
	return types.OCIManifestSchema1, nil
}

func (i *ociManifestImage) RawManifest() ([]byte, error) { return i.raw, nil }

func (i *ociManifestImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range i.manifest.Layers {
		if d.Digest == h {
			l, err := i.src.LayerByDigest(h)
			if err != nil {
				return nil, err
			}
			return ociLayer{Layer: l, mt: d.MediaType}, nil
		}
	}
	if h == i.manifest.Config.Digest {
		return partial.ConfigLayer(i.src)
	}
	return nil, fmt.Errorf("blob %s is not in the manifest", h)
}

// ociLayer is a layer under its OCI media type.
type ociLayer struct {
	v1.Layer
	mt types.MediaType
}

func (l ociLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
