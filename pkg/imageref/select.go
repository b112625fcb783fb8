package imageref

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Annotations used to name and classify index entries.
const (
	annotationRefName       = "org.opencontainers.image.ref.name"
	annotationContainerdRef = "io.containerd.image.name"
	annotationDockerRefType = "vnd.docker.reference.type"
)

// maxIndexDepth bounds nested indexes, so a cyclic or hostile index cannot
// recurse forever.
const maxIndexDepth = 8

// leaf is an image manifest reachable from an index, with the index that
// can open it.
type leaf struct {
	desc   v1.Descriptor
	parent v1.ImageIndex
}

// entryName is the name of a top-level layout entry: its ref.name
// annotation, else the containerd image name, else "" (untagged).
func entryName(d v1.Descriptor) string {
	if n := d.Annotations[annotationRefName]; n != "" {
		return n
	}
	return d.Annotations[annotationContainerdRef]
}

// matchesTag reports whether a top-level entry is the one tag names.
func matchesTag(d v1.Descriptor, tag string) bool {
	if d.Annotations[annotationRefName] == tag || d.Annotations[annotationContainerdRef] == tag {
		return true
	}
	// "alpine:3.20" and "docker.io/library/alpine:3.20" are the same image.
	want, err := name.NewTag(tag)
	if err != nil {
		return false
	}
	for _, k := range []string{annotationRefName, annotationContainerdRef} {
		if v := d.Annotations[k]; v != "" {
			if have, err := name.NewTag(v); err == nil && have.Name() == want.Name() {
				return true
			}
		}
	}
	return false
}

// imageFromLayoutIndex picks the image a layout's (or OCI archive's)
// index.json names: by tag when one is given, else the only image (one
// entry, or several entries that differ only by platform); then by platform.
func imageFromLayoutIndex(ix v1.ImageIndex, tag string, o *options) (v1.Image, error) {
	im, err := ix.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	var entries []v1.Descriptor
	if tag != "" {
		for _, d := range im.Manifests {
			if matchesTag(d, tag) {
				entries = append(entries, d)
			}
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w: no image tagged %q (available: %s)", ErrNotFound, tag, listNames(im.Manifests))
		}
	} else {
		for _, d := range im.Manifests {
			if !isAttestation(d) {
				entries = append(entries, d)
			}
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("%w: the index lists no images", ErrNotFound)
		}
		groups := map[string]bool{}
		for _, d := range entries {
			groups[groupKey(d)] = true
		}
		if len(groups) > 1 {
			return nil, &AmbiguousError{Images: names(entries)}
		}
	}
	var leaves []leaf
	for _, d := range entries {
		ls, err := collectLeaves(ix, d, 0)
		if err != nil {
			return nil, err
		}
		leaves = append(leaves, ls...)
	}
	return pickPlatform(leaves, o)
}

// imageFromIndex picks by platform among the images an index (from a
// registry) lists.
func imageFromIndex(ix v1.ImageIndex, o *options) (v1.Image, error) {
	im, err := ix.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	var leaves []leaf
	for _, d := range im.Manifests {
		ls, err := collectLeaves(ix, d, 0)
		if err != nil {
			return nil, err
		}
		leaves = append(leaves, ls...)
	}
	return pickPlatform(leaves, o)
}

// groupKey groups entries that are variants of one image: the same name, or
// no name and a platform (platform-specific manifests listed at top level).
func groupKey(d v1.Descriptor) string {
	if n := entryName(d); n != "" {
		return "name:" + n
	}
	if d.MediaType.IsImage() && d.Platform != nil {
		return "untagged-platform"
	}
	return "digest:" + d.Digest.String()
}

func names(ds []v1.Descriptor) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range ds {
		n := entryName(d)
		if n == "" {
			n = d.Digest.String()
			if d.Platform != nil {
				n += " (" + d.Platform.String() + ")"
			}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func listNames(ds []v1.Descriptor) string {
	n := names(ds)
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// collectLeaves expands d to the image manifests it stands for, skipping
// attestation manifests (which carry no filesystem).
func collectLeaves(parent v1.ImageIndex, d v1.Descriptor, depth int) ([]leaf, error) {
	switch {
	case d.MediaType.IsImage():
		if isAttestation(d) {
			return nil, nil
		}
		return []leaf{{desc: d, parent: parent}}, nil
	case d.MediaType.IsIndex():
		if depth >= maxIndexDepth {
			return nil, fmt.Errorf("indexes nested deeper than %d", maxIndexDepth)
		}
		child, err := parent.ImageIndex(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("opening index %s: %w", d.Digest, err)
		}
		im, err := child.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d.Digest, err)
		}
		var out []leaf
		for _, c := range im.Manifests {
			ls, err := collectLeaves(child, c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, ls...)
		}
		return out, nil
	}
	// Other artifacts (signatures, SBOMs) are not images.
	return nil, nil
}

func isAttestation(d v1.Descriptor) bool {
	if d.Annotations[annotationDockerRefType] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// pickPlatform chooses one image among leaves. With no platform asked for,
// a single image is taken whatever its platform; otherwise the first image
// whose platform satisfies the wanted one wins.
func pickPlatform(leaves []leaf, o *options) (v1.Image, error) {
	if len(leaves) == 0 {
		return nil, fmt.Errorf("%w: the index lists no images", ErrNotFound)
	}
	if len(leaves) == 1 && !o.explicitPlatform {
		return openLeaf(leaves[0])
	}
	want := normalizePlatform(o.platform)
	var avail []string
	for _, l := range leaves {
		p, err := leafPlatform(l)
		if err != nil {
			return nil, err
		}
		if p != nil && normalizePlatform(*p).Satisfies(want) {
			return openLeaf(l)
		}
		s := "unknown"
		if p != nil && p.String() != "" {
			s = p.String()
		}
		avail = append(avail, s)
	}
	return nil, &PlatformError{Want: o.platform.String(), Available: avail}
}

func openLeaf(l leaf) (v1.Image, error) {
	img, err := l.parent.Image(l.desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("opening image %s: %w", l.desc.Digest, err)
	}
	return img, nil
}

// leafPlatform is the platform of an index entry, read from the image's
// config when the descriptor does not say.
func leafPlatform(l leaf) (*v1.Platform, error) {
	if l.desc.Platform != nil {
		return l.desc.Platform, nil
	}
	img, err := openLeaf(l)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", l.desc.Digest, err)
	}
	return cf.Platform(), nil
}

// normalizePlatform makes equivalent spellings compare equal: arm64's
// variant v8 is its default.
func normalizePlatform(p v1.Platform) v1.Platform {
	if p.Architecture == "arm64" && p.Variant == "v8" {
		p.Variant = ""
	}
	return p
}
