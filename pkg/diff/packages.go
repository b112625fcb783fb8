package diff

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/packages"
)

// comparePackages attributes both images' visible bytes to their
// packages and compares them package by package (by manager, name and
// architecture). Accounts made without the package databases captured
// compare as having none.
func comparePackages(old, new *account.Report) (PackageChanges, error) {
	pc := PackageChanges{Items: []PackageChange{}, Unowned: []UnownedChange{}}
	ra, err := attribute(old)
	if err != nil {
		return pc, err
	}
	rb, err := attribute(new)
	if err != nil {
		return pc, err
	}
	pc.Old, pc.New = packageSide(ra), packageSide(rb)

	byRef := map[packages.PackageRef]*PackageChange{}
	var order []packages.PackageRef
	get := func(p packages.Package) *PackageChange {
		ref := packages.PackageRef{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture}
		c := byRef[ref]
		if c == nil {
			c = &PackageChange{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture, FilesKnown: true}
			byRef[ref] = c
			order = append(order, ref)
		}
		c.FilesKnown = c.FilesKnown && p.FilesKnown
		return c
	}
	seenOld := map[packages.PackageRef]bool{}
	for _, p := range ra.Packages {
		c := get(p)
		c.OldVersion, c.OldBytes, c.OldFiles = p.Version, p.Bytes, p.Files
		c.Layer, c.CreatedBy = p.Layer, p.CreatedBy
		seenOld[packages.PackageRef{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture}] = true
	}
	seenNew := map[packages.PackageRef]bool{}
	for _, p := range rb.Packages {
		c := get(p)
		c.NewVersion, c.NewBytes, c.NewFiles = p.Version, p.Bytes, p.Files
		c.Layer, c.CreatedBy = p.Layer, p.CreatedBy
		seenNew[packages.PackageRef{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture}] = true
	}
	for _, ref := range order {
		c := byRef[ref]
		c.DeltaBytes = c.NewBytes - c.OldBytes
		switch {
		case !seenOld[ref]:
			c.Change = Added
		case !seenNew[ref]:
			c.Change = Removed
		case c.OldVersion != c.NewVersion:
			switch CompareVersions(c.Manager, c.OldVersion, c.NewVersion) {
			case -1:
				c.Change = Upgraded
			case 1:
				c.Change = Downgraded
			default:
				c.Change = VersionChanged
			}
		case c.DeltaBytes > 0:
			c.Change = Grown
		case c.DeltaBytes < 0:
			c.Change = Shrunk
		default:
			continue // the same version and bytes
		}
		pc.Items = append(pc.Items, *c)
	}
	slices.SortFunc(pc.Items, func(x, y PackageChange) int {
		return cmp.Or(cmp.Compare(abs(y.DeltaBytes), abs(x.DeltaBytes)), strings.Compare(x.Manager, y.Manager),
			strings.Compare(x.Name, y.Name), strings.Compare(x.Architecture, y.Architecture))
	})

	unowned := map[string]*UnownedChange{}
	var dirs []string
	getDir := func(d string) *UnownedChange {
		u := unowned[d]
		if u == nil {
			u = &UnownedChange{Dir: d}
			unowned[d] = u
			dirs = append(dirs, d)
		}
		return u
	}
	for _, d := range ra.Unowned {
		u := getDir(d.Dir)
		u.OldBytes, u.OldFiles = d.Bytes, d.Files
	}
	for _, d := range rb.Unowned {
		u := getDir(d.Dir)
		u.NewBytes, u.NewFiles = d.Bytes, d.Files
	}
	for _, d := range dirs {
		u := unowned[d]
		if u.DeltaBytes = u.NewBytes - u.OldBytes; u.DeltaBytes != 0 || u.OldFiles != u.NewFiles {
			pc.Unowned = append(pc.Unowned, *u)
		}
	}
	slices.SortFunc(pc.Unowned, func(x, y UnownedChange) int {
		return cmp.Or(cmp.Compare(abs(y.DeltaBytes), abs(x.DeltaBytes)), strings.Compare(x.Dir, y.Dir))
	})
	return pc, nil
}

// attribute attributes an account's visible bytes to packages; an account
// made without capturing the databases has none (every byte unowned is
// not claimed either: the result is empty).
func attribute(r *account.Report) (*packages.Result, error) {
	res, err := packages.Attribute(r)
	if errors.Is(err, packages.ErrNotCaptured) {
		return &packages.Result{Packages: []packages.Package{}, Unowned: []packages.DirBytes{}, Databases: []packages.Database{}}, nil
	}
	return res, err
}

func packageSide(r *packages.Result) PackageSide {
	s := PackageSide{Databases: []Database{}, Complete: r.Complete, Packages: len(r.Packages)}
	for _, d := range r.Databases {
		s.Databases = append(s.Databases, Database{Manager: d.Manager, Path: d.Path, Layer: d.Layer, Status: d.Status, Reason: d.Reason, Packages: d.Packages})
	}
	for _, p := range r.Packages {
		s.Bytes += p.Bytes
	}
	for _, d := range r.Unowned {
		s.UnownedBytes += d.Bytes
	}
	return s
}
