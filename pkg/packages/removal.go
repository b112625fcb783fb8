package packages

// Removal is what a layer's install of some packages added to the image:
// the packages named, and the dependencies the install brought in for
// them alone. See Result.Removal.
type Removal struct {
	// Named are the installed packages with the names asked for that the
	// layer installed (their Layer is the layer; a package that owns no
	// file, whose Layer is its record's, counts here too, with 0 bytes, so
	// that its dependencies are reached), largest first.
	Named []Package
	// Deps are the packages the layer installed automatically (Auto) as
	// dependencies of the named ones, directly or through one another,
	// that no other package of the image needs or recommends (one that
	// only suggests it does not hold it back): what a build stage keeps
	// out of the image, and what `apk del` or `apt-get purge
	// --auto-remove -o APT::AutoRemove::SuggestsImportant=false` of the
	// named packages would take with them. Largest first.
	Deps []Package
	// Missing are the names asked for that no package of the layer has
	// (not installed, or installed by another layer), in the order given.
	Missing []string
	// Bytes and Files: of Named and Deps together.
	Bytes, Files int64
}

// Removal returns the packages named (by name, any manager or
// architecture) that layer installed, with the dependencies the same
// layer installed automatically for them alone:
//
//  1. a package is reached from a named one through Depends (dpkg's
//     Depends, Pre-Depends and Recommends, every alternative installed;
//     apk's D:), a name resolving to the packages of that name and those
//     that provide it;
//  2. it is reached only through packages that are themselves named or
//     counted, it is Auto, and its Layer is layer (or it owns no file: a
//     meta-package's Layer is its record's, which a later install
//     rewrites, and it adds no bytes);
//  3. no package outside the named and counted ones needs it, directly
//     or through other counted packages (those it needs stay).
//
// A package the image does not record as Auto (apt's extended_states,
// apk's world missing) never counts as a dependency: then only the named
// packages count.
func (r *Result) Removal(names []string, layer int) Removal {
	var out Removal
	pk := r.Packages
	byName := map[string][]int{}
	for i, p := range pk {
		byName[p.Name] = append(byName[p.Name], i)
		for _, v := range p.Provides {
			if v != p.Name {
				byName[v] = append(byName[v], i)
			}
		}
	}
	const (
		none = iota
		named
		dep
	)
	role := make([]int, len(pk))
	var queue []int
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		found := false
		for _, i := range byName[n] {
			// A name asked for is a package's own, not one it provides.
			// A package with files that another layer installed stays;
			// one without (a meta-package, whose layer is its record's)
			// is the layer's if the layer installed its dependencies.
			if pk[i].Name != n || pk[i].Layer != layer && pk[i].Files > 0 {
				continue
			}
			found = true
			if role[i] == none {
				role[i] = named
				queue = append(queue, i)
			}
		}
		if !found {
			out.Missing = append(out.Missing, n)
		}
	}
	// 1 and 2: what the named packages pull in, through the packages the
	// layer installed for them.
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range pk[i].Depends {
			for _, j := range byName[d] {
				if role[j] == none && pk[j].Auto && (pk[j].Layer == layer || pk[j].Files == 0) {
					role[j] = dep
					queue = append(queue, j)
				}
			}
		}
	}
	// 3: what every other package needs stays, with what it needs in
	// turn; the named packages go whatever needs them.
	kept := make([]bool, len(pk))
	for i := range pk {
		if role[i] == none {
			kept[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range pk[i].Depends {
			for _, j := range byName[d] {
				if !kept[j] && role[j] != named {
					kept[j] = true
					queue = append(queue, j)
				}
			}
		}
	}
	for i, p := range pk { // already largest first
		switch {
		case role[i] == named:
			out.Named = append(out.Named, p)
		case role[i] == dep && !kept[i]:
			out.Deps = append(out.Deps, p)
		default:
			continue
		}
		out.Bytes += p.Bytes
		out.Files += p.Files
	}
	return out
}
