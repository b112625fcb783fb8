package packages

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/whittle/whittle/pkg/account"
)

// Package managers.
const (
	Dpkg = "dpkg"
	Apk  = "apk"
	Rpm  = "rpm"
)

// Database statuses.
const (
	// StatusRead: the database was read whole.
	StatusRead = "read"
	// StatusNotSupported: the database was found but is not read (rpm's
	// databases; a sparse file; a hard link to a file shipped at a path
	// not captured). Its packages are missing from the result.
	StatusNotSupported = "not-supported"
	// StatusTooLarge: the database, or one of its files, is over the
	// capture limits (account.WithCaptureLimits). Its packages, or those
	// files, are missing from the result.
	StatusTooLarge = "too-large"
)

// ErrNotCaptured is returned by Attribute for a report made without
// AnalyzeOptions: it holds no captured databases or no visible file list.
var ErrNotCaptured = errors.New("the report holds no captured package databases or visible files (analyze with packages.AnalyzeOptions)")

// Result is the attribution of an image's visible bytes: plain data.
// Every visible regular file (a hard-linked file once) counts in exactly
// one package or one Unowned group, so the bytes of Packages and Unowned
// add up to Bytes, the image's visible_bytes, and their files to Files.
type Result struct {
	// Packages, largest first (then by manager, name, architecture).
	Packages []Package
	// Unowned groups the files that no package read owns by top
	// directory, largest first (then by directory). When Complete is
	// false, some of these may belong to a package of a database that
	// was not read, or whose file list is unknown.
	Unowned []DirBytes
	// Databases lists every package database found, in path order.
	Databases []Database
	// Shared lists the files that several packages list, with the one
	// that was given their bytes, in path order.
	Shared []SharedFile
	// Complete is true when every database found was read whole and every
	// package's file list is known.
	Complete bool
	// Bytes and Files: the image's visible_bytes and files.
	Bytes, Files int64
}

// Package is one installed package and the visible bytes it owns.
type Package struct {
	// Manager is Dpkg or Apk.
	Manager, Name, Version, Architecture string
	// Bytes and Files: the visible regular files the package owns (a
	// file that several packages list counts in one of them only; see
	// Shared).
	Bytes, Files int64
	// Layer is the layer that installed the package: the one holding most
	// of its bytes (then most of its files, then the layer of its record),
	// or, when it owns no file, the layer of its record (its info/NAME.list
	// or status.d file; for apk and a dpkg package without a list, the
	// database's). CreatedBy is that layer's history entry.
	Layer     int
	CreatedBy string
	// Layers are its bytes by the layer that shipped them, bottom first.
	Layers []account.LayerBytes
	// FilesKnown is false when the package's file list is missing or
	// unreadable (a distroless status.d entry without .md5sums, a list
	// over the capture limit): its files then count as Unowned, and
	// Result.Complete is false.
	FilesKnown bool
	// Depends are the names the package needs or recommends (dpkg's
	// Depends, Pre-Depends and Recommends, every alternative; apk's D:),
	// Provides the names it provides (dpkg's Provides, apk's p:): see
	// Removal.
	Depends, Provides []string
	// Auto is true when the image records the package as installed
	// automatically, as another's dependency: apt's extended_states says
	// "Auto-Installed: 1", or apk's world does not name it. False when it
	// was installed by name, or when the image does not say (no
	// extended_states, no world, distroless).
	Auto bool
}

// PackageRef names a package.
type PackageRef struct {
	Manager, Name, Architecture string
}

// DirBytes is the visible bytes under one top directory that no package
// owns.
type DirBytes struct {
	// Dir is absolute: the first directory of the path ("/app", "/opt"),
	// the first two under /usr and /var ("/usr/local", "/var/lib"), "/"
	// for files at the root.
	Dir          string
	Bytes, Files int64
	Layers       []account.LayerBytes
}

// Database is one package database found in the final filesystem.
type Database struct {
	// Manager is Dpkg, Apk or Rpm; Path is absolute (for distroless's
	// status.d, the directory); Layer the layer of the file (the topmost
	// for a directory).
	Manager, Path string
	Layer         int
	// Status is StatusRead, StatusNotSupported or StatusTooLarge; Reason
	// says why a database was not read.
	Status, Reason string
	// Packages is the number of installed packages read from it.
	Packages int
}

// SharedFile is a visible file that several packages list.
type SharedFile struct {
	// Path is absolute.
	Path  string
	Bytes int64
	// Owner is the package given the bytes; Others list the file too.
	Owner  PackageRef
	Others []PackageRef
}

// The paths of the databases, relative to the root.
const (
	dpkgStatus     = "var/lib/dpkg/status"
	dpkgStatusD    = "var/lib/dpkg/status.d"
	dpkgInfo       = "var/lib/dpkg/info"
	dpkgDiversions = "var/lib/dpkg/diversions"
	aptExtended    = "var/lib/apt/extended_states"
	apkInstalled   = "lib/apk/db/installed"
	apkWorld       = "etc/apk/world"
)

// rpmDatabases maps the files of rpm's databases to their format.
var rpmDatabases = map[string]string{
	"var/lib/rpm/Packages":              "Berkeley DB",
	"var/lib/rpm/rpmdb.sqlite":          "sqlite",
	"var/lib/rpm/Packages.db":           "ndb",
	"usr/lib/sysimage/rpm/Packages":     "Berkeley DB",
	"usr/lib/sysimage/rpm/rpmdb.sqlite": "sqlite",
	"usr/lib/sysimage/rpm/Packages.db":  "ndb",
}

// CapturePaths returns the absolute paths (and patterns) of the package
// database files Attribute reads, for account.WithCapture.
func CapturePaths() []string {
	return append([]string{
		"/" + dpkgStatus,
		"/" + dpkgStatusD,
		"/" + dpkgInfo + "/*.list",
		"/" + dpkgDiversions,
		"/" + aptExtended,
		"/" + apkInstalled,
		"/" + apkWorld,
	}, pipRecordPaths...)
}

// pipRecordPaths are the RECORD files of pip installed by Python itself,
// not by an OS package manager: the official python images (ensurepip
// under /usr/local), `pip install --user`, and virtual environments one
// or two directories below the root (/venv, /opt/venv, /app/.venv). A
// RECORD lists every file of a Python distribution, relative to its
// site-packages directory. They are captured with the databases, so that
// every command that attributes packages captures the same files (and
// shares the layer cache's entries), for the image rule WH803
// (pkg/rules); Attribute does not read them.
var pipRecordPaths = []string{
	"/usr/local/lib/python*/site-packages/pip-*.dist-info/RECORD",
	"/usr/local/lib/python*/dist-packages/pip-*.dist-info/RECORD",
	"/root/.local/lib/python*/site-packages/pip-*.dist-info/RECORD",
	"/*/lib/python*/site-packages/pip-*.dist-info/RECORD",
	"/*/*/lib/python*/site-packages/pip-*.dist-info/RECORD",
}

// PipRecordPaths returns the patterns of pip's RECORD files that
// CapturePaths includes (see pipRecordPaths).
func PipRecordPaths() []string { return slices.Clone(pipRecordPaths) }

// AnalyzeOptions returns the options account.Analyze needs for
// Attribute: the capture of CapturePaths and the visible file list.
func AnalyzeOptions() []account.Option {
	return []account.Option{account.WithCapture(CapturePaths()), account.WithVisibleFiles(true)}
}

// pkg is a package being attributed.
type pkg struct {
	Package
	files       []string // claimed paths, relative
	recordLayer int
}

func (p *pkg) ref() PackageRef {
	return PackageRef{Manager: p.Manager, Name: p.Name, Architecture: p.Architecture}
}

// Attribute assigns every visible regular file of rep to one package or
// to "no package" (see Result). rep must come from account.Analyze with
// AnalyzeOptions; otherwise Attribute returns ErrNotCaptured.
func Attribute(rep *account.Report) (*Result, error) {
	if rep == nil || rep.Captured == nil || rep.VisibleFiles == nil {
		return nil, ErrNotCaptured
	}
	res := &Result{Packages: []Package{}, Unowned: []DirBytes{}, Databases: []Database{}, Shared: []SharedFile{}, Complete: true}
	captured := make(map[string]*account.CapturedFile, len(rep.Captured))
	for i := range rep.Captured {
		captured[rep.Captured[i].Path] = &rep.Captured[i]
	}
	r := &reader{captured: captured, res: res}
	pkgs := r.dpkg()
	pkgs = append(pkgs, r.apk()...)
	// Sorted, a package's index is its rank when several list a file.
	slices.SortFunc(pkgs, func(a, b *pkg) int {
		return cmp.Or(cmp.Compare(a.Manager, b.Manager), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Architecture, b.Architecture))
	})
	cl := newClaims(pkgs)
	cl.divert(r.diversions, pkgs)
	cl.mergeUsr(rep.VisibleFiles)
	a := attribution{rep: rep, pkgs: pkgs, claims: cl, res: res, unowned: map[string]*dirAcc{}}
	a.assign()
	a.finish()
	for _, d := range res.Databases {
		if d.Status != StatusRead {
			res.Complete = false
		}
	}
	for _, p := range res.Packages {
		if !p.FilesKnown {
			res.Complete = false
		}
	}
	slices.SortFunc(res.Databases, func(a, b Database) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// reader reads the captured databases.
type reader struct {
	captured   map[string]*account.CapturedFile
	res        *Result
	diversions []Diversion
}

// skipped fills db's status from a captured file without content.
func skipped(db *Database, c *account.CapturedFile) {
	if c.Skipped == account.SkippedTooLarge {
		db.Status = StatusTooLarge
		db.Reason = fmt.Sprintf("/%s (%d bytes) is over the capture limits", c.Path, c.Size)
		return
	}
	db.Status = StatusNotSupported
	db.Reason = fmt.Sprintf("/%s was not read (%s)", c.Path, c.Skipped)
}

// dpkg reads the status file with the info lists and diversions, and
// distroless's status.d.
func (r *reader) dpkg() []*pkg {
	var out []*pkg
	seen := map[PackageRef]bool{}
	// apt records a package of architecture "all" under the native one
	// ("dpkg-dev", Architecture: amd64): such a package is auto when its
	// name is marked under any architecture.
	auto, autoName := map[string]bool{}, map[string]bool{}
	if c := r.captured[aptExtended]; c != nil {
		for _, k := range ParseAptExtendedStates(c.Data) {
			auto[k] = true
			name, _, _ := strings.Cut(k, ":")
			autoName[name] = true
		}
	}
	add := func(rec DpkgRecord, list *account.CapturedFile, recordLayer int, parse func([]byte) []string) {
		p := &pkg{Package: Package{Manager: Dpkg, Name: rec.Package, Version: rec.Version, Architecture: rec.Architecture,
			Depends: rec.Depends, Provides: rec.Provides, Auto: auto[rec.Package+":"+rec.Architecture] || auto[rec.Package] || rec.Architecture == "all" && autoName[rec.Package]}, recordLayer: recordLayer}
		if seen[p.ref()] {
			return
		}
		seen[p.ref()] = true
		if list != nil {
			p.recordLayer = list.Layer
			if list.Data != nil {
				p.files, p.FilesKnown = parse(list.Data), true
			}
		}
		out = append(out, p)
	}
	if c := r.captured[dpkgStatus]; c != nil {
		db := Database{Manager: Dpkg, Path: "/" + dpkgStatus, Layer: c.Layer, Status: StatusRead}
		if c.Data == nil {
			skipped(&db, c)
		}
		for _, rec := range ParseDpkgStatus(c.Data) {
			if !rec.installed() {
				continue
			}
			list := r.captured[dpkgInfo+"/"+rec.Package+":"+rec.Architecture+".list"]
			if list == nil {
				list = r.captured[dpkgInfo+"/"+rec.Package+".list"]
			}
			add(rec, list, c.Layer, ParseDpkgFileList)
			db.Packages++
		}
		r.res.Databases = append(r.res.Databases, db)
	}
	// distroless: one file of stanzas a package, and NAME.md5sums beside
	// it listing the package's regular files.
	var statusD *Database
	for _, c := range r.sortedUnder(dpkgStatusD) {
		if statusD == nil {
			statusD = &Database{Manager: Dpkg, Path: "/" + dpkgStatusD, Status: StatusRead}
		}
		statusD.Layer = max(statusD.Layer, c.Layer)
		if strings.HasSuffix(c.Path, ".md5sums") {
			continue
		}
		if c.Data == nil {
			skipped(statusD, c)
			continue
		}
		recs := ParseDpkgStatus(c.Data)
		for _, rec := range recs {
			if !rec.installed() {
				continue
			}
			var sums *account.CapturedFile
			if len(recs) == 1 {
				sums = r.captured[c.Path+".md5sums"]
			}
			if sums == nil {
				sums = r.captured[dpkgStatusD+"/"+rec.Package+".md5sums"]
			}
			if sums == nil {
				sums = r.captured[dpkgStatusD+"/"+rec.Package+":"+rec.Architecture+".md5sums"]
			}
			add(rec, sums, c.Layer, ParseDpkgMd5sums)
			statusD.Packages++
		}
	}
	if statusD != nil {
		r.res.Databases = append(r.res.Databases, *statusD)
	}
	if c := r.captured[dpkgDiversions]; c != nil {
		if c.Data == nil {
			db := Database{Manager: Dpkg, Path: "/" + dpkgDiversions, Layer: c.Layer}
			skipped(&db, c)
			r.res.Databases = append(r.res.Databases, db)
		}
		r.diversions = ParseDpkgDiversions(c.Data)
	}
	return out
}

// sortedUnder returns the captured files under dir, in path order.
func (r *reader) sortedUnder(dir string) []*account.CapturedFile {
	var out []*account.CapturedFile
	for p, c := range r.captured {
		if strings.HasPrefix(p, dir+"/") {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *account.CapturedFile) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// apk reads apk's installed database.
func (r *reader) apk() []*pkg {
	c := r.captured[apkInstalled]
	if c == nil {
		return nil
	}
	db := Database{Manager: Apk, Path: "/" + apkInstalled, Layer: c.Layer, Status: StatusRead}
	var out []*pkg
	if c.Data == nil {
		skipped(&db, c)
	}
	// What the world does not name was installed as a dependency (when
	// the image has a world to say so).
	var world map[string]bool
	if w := r.captured[apkWorld]; w != nil && w.Skipped == "" {
		world = map[string]bool{}
		for _, n := range ParseApkWorld(w.Data) {
			world[n] = true
		}
	}
	seen := map[string]bool{}
	for _, rec := range ParseApkInstalled(c.Data) {
		if seen[rec.Name] {
			continue
		}
		seen[rec.Name] = true
		out = append(out, &pkg{
			Package: Package{Manager: Apk, Name: rec.Name, Version: rec.Version, Architecture: rec.Architecture, FilesKnown: true,
				Depends: rec.Depends, Provides: rec.Provides, Auto: world != nil && !world[rec.Name]},
			files:       rec.Files,
			recordLayer: c.Layer,
		})
		db.Packages++
	}
	r.res.Databases = append(r.res.Databases, db)
	return out
}
