package fleet

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// Packages is the fleet's OS packages (Report.Packages, with
// WithPackages): each image's attribution summed up, and every package
// across the images, with how many times a host holding them all stores
// it.
type Packages struct {
	// Images are each counted image's figures, in the order of
	// Report.Images.
	Images []ImagePackages `json:"images"`
	// Installed is every package (manager, name, architecture) some image
	// holds, the largest StoredBytes first.
	Installed []FleetPackage `json:"installed"`
	// BytesEachAlone is the sum of the images' bytes in packages, each
	// image counted alone; StoredBytes the sum of Installed's StoredBytes:
	// each layer's copy of a package once.
	BytesEachAlone int64 `json:"bytes_each_alone"`
	StoredBytes    int64 `json:"stored_bytes"`
	// Complete is true when every image's attribution is complete
	// (packages.Result.Complete): every database found was read and every
	// package's file list is known.
	Complete bool `json:"complete"`
}

// ImagePackages is one image's attribution in short.
type ImagePackages struct {
	Reference string `json:"reference"`
	// Packages is the number of packages installed; Bytes and Files what
	// they own; NoPackageBytes the image's other visible bytes (not
	// attributed, rather than owned by no package, when Complete is
	// false).
	Packages       int   `json:"packages"`
	Bytes          int64 `json:"bytes"`
	Files          int64 `json:"files"`
	NoPackageBytes int64 `json:"no_package_bytes"`
	Complete       bool  `json:"complete"`
	// NotRead lists the databases found but not read, as
	// "PATH (STATUS)": rpm's, or one over the capture limits.
	NotRead []string `json:"not_read"`
}

// FleetPackage is one package (manager, name, architecture) across the
// fleet.
type FleetPackage struct {
	Manager      string `json:"manager"`
	Name         string `json:"name"`
	Architecture string `json:"architecture"`
	// Versions are the versions installed, in the order first met.
	Versions []string `json:"versions"`
	// Images are the references of the images that hold it, in input
	// order.
	Images []string `json:"images"`
	// BytesEachAlone is the sum of its bytes in every image that holds
	// it, each image counted alone (packages.Package.Bytes).
	BytesEachAlone int64 `json:"bytes_each_alone"`
	// Layers is the number of distinct layers (chain IDs) that installed
	// it (packages.Package.Layer in each image): 1 when the images hold
	// it from one shared layer, one per image when each installed its
	// own copy. Images that do not know its file list (FilesKnown false
	// there) do not know which layer installed it, and are not counted.
	Layers int `json:"layers"`
	// StoredBytes is what a host holding every image stores of it: its
	// bytes by the layer that shipped them (packages.Package.Layers),
	// each distinct layer (chain ID) counted once, as the first image
	// that holds the layer counts them.
	StoredBytes int64 `json:"stored_bytes"`
	// FilesKnown is false when some image does not know its file list:
	// its bytes there are not counted.
	FilesKnown bool `json:"files_known"`
}

// WithPackages makes Analyze also attribute every visible byte of each
// image to the OS package that owns it (pkg/packages, as whittle analyze
// does) and sum the packages up across the fleet (Report.Packages). That
// merges each image's final filesystem, one image at a time, as analyze
// does: each distinct layer blob is still read once (the analyses share
// the layers several images hold, and the fleet's figures come from
// them), but memory then grows with the paths of the image being merged
// and of the shared layers not yet merged into every image that holds
// them. The other figures are the same as without packages.
func WithPackages(on bool) Option {
	return func(o *options) error {
		o.packages = on
		return nil
	}
}

// fleetPackages attributes each counted image's bytes to packages and
// sums them up; chains are each image's layers' chain IDs. It returns
// each image's layers as its analysis read them (size, blob size and
// digest), so that the fleet's figures need no second read.
func fleetPackages(ctx context.Context, o *options, rep *Report, imgs []v1.Image, chains [][]string) (*Packages, [][]account.Layer, error) {
	share := account.NewLayerShare()
	for i, img := range imgs {
		if err := share.Add(img); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", rep.Images[i].Reference, err)
		}
	}
	layersOf := make([][]account.Layer, 0, len(imgs))
	out := &Packages{Images: []ImagePackages{}, Installed: []FleetPackage{}, Complete: true}
	type key struct{ manager, name, arch string }
	index := map[key]int{}
	installers := map[key]map[string]bool{} // chain IDs of the layers that installed it
	stored := map[key]map[string]bool{}     // chain IDs whose bytes are counted
	for i, img := range imgs {
		ref := rep.Images[i].Reference
		aopts := append([]account.Option{
			account.WithReference(ref),
			account.WithJobs(o.jobs),
			account.WithBlobDigests(o.verifyBlobs),
			account.WithLayerLimits(o.lim),
			account.WithDuplicates(false),
			account.WithDive(false),
			account.WithLayerShare(share),
		}, packages.AnalyzeOptions()...)
		if o.cache != nil {
			aopts = append(aopts, account.WithLayerCache(o.cache))
		}
		if o.progress != nil {
			aopts = append(aopts, account.WithProgress(func(p account.Progress) {
				done := i
				if p.Done {
					done++
				}
				o.progress(Progress{Layers: p.Layers, LayersDone: p.LayersDone, Images: len(imgs), ImagesDone: done})
			}))
		}
		ar, err := account.Analyze(ctx, img, aopts...)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ref, err)
		}
		layersOf = append(layersOf, ar.Layers)
		res, err := packages.Attribute(ar)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ref, err)
		}
		ip := ImagePackages{Reference: ref, Packages: len(res.Packages), Complete: res.Complete, NotRead: []string{}}
		for _, d := range res.Databases {
			if d.Status != packages.StatusRead {
				ip.NotRead = append(ip.NotRead, fmt.Sprintf("%s (%s)", d.Path, d.Status))
			}
		}
		for _, p := range res.Packages {
			ip.Bytes += p.Bytes
			ip.Files += p.Files
			k := key{p.Manager, p.Name, p.Architecture}
			j, ok := index[k]
			if !ok {
				j = len(out.Installed)
				index[k] = j
				out.Installed = append(out.Installed, FleetPackage{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture,
					Versions: []string{}, Images: []string{}, FilesKnown: true})
				installers[k] = map[string]bool{}
				stored[k] = map[string]bool{}
			}
			fp := &out.Installed[j]
			if !slices.Contains(fp.Versions, p.Version) {
				fp.Versions = append(fp.Versions, p.Version)
			}
			fp.Images = append(fp.Images, ref)
			fp.BytesEachAlone += p.Bytes
			fp.FilesKnown = fp.FilesKnown && p.FilesKnown
			if p.FilesKnown && p.Layer >= 0 && p.Layer < len(chains[i]) {
				installers[k][chains[i][p.Layer]] = true
			}
			for _, lb := range p.Layers {
				if lb.Layer < 0 || lb.Layer >= len(chains[i]) {
					continue
				}
				if ch := chains[i][lb.Layer]; !stored[k][ch] {
					stored[k][ch] = true
					fp.StoredBytes += lb.Bytes
				}
			}
		}
		for _, d := range res.Unowned {
			ip.NoPackageBytes += d.Bytes
		}
		out.Complete = out.Complete && res.Complete
		out.BytesEachAlone += ip.Bytes
		out.Images = append(out.Images, ip)
	}
	for j := range out.Installed {
		fp := &out.Installed[j]
		fp.Layers = len(installers[key{fp.Manager, fp.Name, fp.Architecture}])
		out.StoredBytes += fp.StoredBytes
	}
	slices.SortStableFunc(out.Installed, func(a, b FleetPackage) int {
		if a.StoredBytes != b.StoredBytes {
			if a.StoredBytes > b.StoredBytes {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Manager, b.Manager); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Architecture, b.Architecture)
	})
	return out, layersOf, nil
}
