// Package appimage builds examples/app.tar, the small example image that
// the README's first command analyzes; `go run ./examples/gen` writes it.
//
// The output is byte-identical on every run: file contents come from a
// seeded generator, every timestamp is fixed, and layers are written in a
// fixed order. The image tells a common story of waste, one layer at a time:
//
//	0  ADD rootfs        a small Debian-like base (with a hard link) and its
//	                     dpkg database: six packages, each with its file list
//	   CMD ["bash"]      (empty layer)
//	1  RUN apt-get ...   installs curl and what it needs (four packages, with
//	                     their file lists and apt's extended_states), leaves
//	                     /var/lib/apt/lists behind (a cache) and rewrites
//	                     /var/lib/dpkg/status
//	   ENV TOOL_VERSION  (empty layer)
//	2  RUN curl ... tar  downloads an archive to /tmp and unpacks it, and
//	                     leaves an install log in /tmp
//	3  WORKDIR /app      a layer holding one directory and no bytes
//	4  RUN rm ... && cp  deletes the archive (its bytes still ship in layer 2)
//	                     and copies the tool binary (a duplicate file)
//	5  COPY . /app/      the application and its config
//	6  COPY config.yaml  overwrites the config (the old one still ships)
//	   EXPOSE, ENTRYPOINT, CMD (empty layers)
//
// The dpkg database is complete and tells the truth: every package's file
// list names files the image has, and the files no package lists are those
// no package would own (the application, the tool, the caches, the
// databases, /etc/passwd, the certificate bundle update-ca-certificates
// makes), so that analyze attributes every visible byte.
package appimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Tag is the name written into the archive's manifest.json.
const Tag = "example.com/whittle/app:1.0"

// epoch is the base of every timestamp in the image.
var epoch = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// entry is one tar entry of a layer.
type entry struct {
	name     string
	typeflag byte
	mode     int64
	data     []byte
	linkname string
}

func dir(name string) entry { return entry{name: name, typeflag: tar.TypeDir, mode: 0o755} }
func file(name string, data []byte) entry {
	return entry{name: name, typeflag: tar.TypeReg, mode: 0o644, data: data}
}
func exe(name string, data []byte) entry {
	return entry{name: name, typeflag: tar.TypeReg, mode: 0o755, data: data}
}
func hardlink(name, target string) entry {
	return entry{name: name, typeflag: tar.TypeLink, mode: 0o755, linkname: target}
}
func symlink(name, target string) entry {
	return entry{name: name, typeflag: tar.TypeSymlink, mode: 0o777, linkname: target}
}

// step is one history entry; entries == nil marks an empty layer.
type step struct {
	createdBy string
	entries   []entry
}

// content makes deterministic file contents.
type content struct{ rng *rand.ChaCha8 }

// binary returns n incompressible bytes, like an executable or a compressed
// archive.
func (c content) binary(n int) []byte {
	b := make([]byte, n)
	_, _ = c.rng.Read(b) // ChaCha8.Read never fails
	return b
}

// pem returns text shaped like a certificate bundle of about n bytes, and
// the certificates it holds, one a string (without the bundle's comment
// lines).
func (c content) pem(n int) ([]byte, []string) {
	var sb strings.Builder
	var certs []string
	for i := 0; sb.Len() < n; i++ {
		fmt.Fprintf(&sb, "# Certificate %d\n", i)
		var cert strings.Builder
		cert.WriteString("-----BEGIN CERTIFICATE-----\n")
		raw := base64.StdEncoding.EncodeToString(c.binary(48 * 12))
		for len(raw) > 64 {
			cert.WriteString(raw[:64] + "\n")
			raw = raw[64:]
		}
		cert.WriteString(raw + "\n-----END CERTIFICATE-----\n")
		sb.WriteString(cert.String())
		certs = append(certs, cert.String())
	}
	return []byte(sb.String()), certs
}

const configDev = `# app configuration (development)
listen: 0.0.0.0:8080
log:
  level: debug
  format: text
database:
  url: postgres://app:app@localhost:5432/app?sslmode=disable
  max_open_conns: 4
features:
  tracing: false
  profiling: true
`

const configProd = `# app configuration (production)
listen: 0.0.0.0:8080
log:
  level: info
  format: json
database:
  url: postgres://app@db:5432/app?sslmode=verify-full
  max_open_conns: 32
features:
  tracing: true
  profiling: false
`

// pkgDef is one dpkg package of the image, as dpkg would record it.
type pkgDef struct {
	name string
	// step is the index in steps of the step that installs it.
	step int
	// paths are the entry names of the files and symlinks it ships; dirs
	// the directories it lists beyond their parents (dpkg lists every
	// directory of the package's data, parents included).
	paths, dirs []string
	depends     []string
	// multiArch marks a Multi-Arch: same package, whose file list dpkg
	// names NAME:ARCH.list.
	multiArch bool
	// auto: apt installed it as a dependency (extended_states).
	auto bool
	// essential, priority and section are control fields of its record.
	essential         bool
	priority, section string
}

// listName is the name of the package's file list in var/lib/dpkg/info.
func (p pkgDef) listName() string {
	if p.multiArch {
		return p.name + ":amd64.list"
	}
	return p.name + ".list"
}

// basePkgs are the packages of the base layer (step 0).
func basePkgs() []pkgDef {
	return []pkgDef{
		{name: "apt", step: 0, paths: []string{"usr/bin/apt-get"},
			dirs:    []string{"etc/apt", "var/cache/apt", "var/lib/apt", "var/lib/apt/lists"},
			depends: []string{"libc6"}, priority: "required", section: "admin"},
		{name: "base-files", step: 0, paths: []string{"etc/debian_version", "etc/os-release"},
			essential: true, priority: "required", section: "admin"},
		{name: "bash", step: 0, paths: []string{"bin/bash"}, depends: []string{"base-files"},
			essential: true, priority: "required", section: "shells"},
		{name: "coreutils", step: 0, paths: []string{"usr/bin/[", "usr/bin/test"},
			essential: true, priority: "required", section: "utils"},
		{name: "dpkg", step: 0, paths: []string{"usr/bin/dpkg"}, dirs: []string{"var/lib/dpkg", "var/lib/dpkg/info"},
			essential: true, priority: "required", section: "admin"},
		{name: "libc6", step: 0, paths: []string{"lib/x86_64-linux-gnu/libc.so.6"}, multiArch: true,
			priority: "optional", section: "libs"},
	}
}

// installedPkgs are the packages the apt-get install of layer 1 (step 2)
// installs: the two it names and their dependencies.
func installedPkgs() []pkgDef {
	return []pkgDef{
		{name: "ca-certificates", step: 2, paths: append([]string{"usr/sbin/update-ca-certificates"}, mozillaPaths()...),
			dirs: []string{"etc/ssl/certs"}, depends: []string{"openssl"}, priority: "optional", section: "misc"},
		{name: "curl", step: 2, paths: []string{"usr/bin/curl"}, depends: []string{"libcurl4"},
			priority: "optional", section: "web"},
		{name: "libcurl4", step: 2, paths: []string{"usr/lib/x86_64-linux-gnu/libcurl.so.4"}, multiArch: true,
			depends: []string{"libc6"}, auto: true, priority: "optional", section: "libs"},
		{name: "openssl", step: 2, paths: []string{"usr/bin/openssl"}, depends: []string{"libc6"}, auto: true,
			priority: "optional", section: "utils"},
	}
}

// mozillaCerts is how many certificates ca-certificates ships, one a file
// under usr/share/ca-certificates/mozilla: those of the bundle
// etc/ssl/certs/ca-certificates.crt, which update-ca-certificates makes of
// them when the package is configured and which is no file of the package
// (dpkg does not list it, as on Debian).
const mozillaCerts = 15

func mozillaPaths() []string {
	var out []string
	for i := range mozillaCerts {
		out = append(out, fmt.Sprintf("usr/share/ca-certificates/mozilla/Example_Root_CA_%02d.crt", i+1))
	}
	return out
}

const updateCACertificates = `#!/bin/sh
# update-ca-certificates: concatenates the certificates under
# /usr/share/ca-certificates into /etc/ssl/certs/ca-certificates.crt
set -e
cat /usr/share/ca-certificates/mozilla/*.crt > /etc/ssl/certs/ca-certificates.crt.new
mv /etc/ssl/certs/ca-certificates.crt.new /etc/ssl/certs/ca-certificates.crt
`

// rawSteps is the build, in history order, without the dpkg database
// (setPackages writes it).
func rawSteps() []step {
	c := content{rng: rand.NewChaCha8([32]byte{'w', 'h', 'i', 't', 't', 'l', 'e'})}
	// The files of packages beyond the first example's take their bytes
	// from a generator of their own, so that the others keep theirs.
	pc := content{rng: rand.NewChaCha8([32]byte{'d', 'p', 'k', 'g'})}
	tool := c.binary(16 << 10)
	base := []entry{
		dir("bin/"), exe("bin/bash", c.binary(12<<10)), symlink("bin/sh", "bash"),
		dir("etc/"), file("etc/debian_version", []byte("12.5\n")),
		file("etc/os-release", []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n")),
		file("etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")),
		file("etc/group", []byte("root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n")),
		dir("etc/apt/"), file("etc/apt/sources.list", []byte("deb http://deb.debian.org/debian bookworm main\n")),
		dir("lib/"), dir("lib/x86_64-linux-gnu/"), file("lib/x86_64-linux-gnu/libc.so.6", c.binary(24<<10)),
		dir("root/"), entry{name: "tmp/", typeflag: tar.TypeDir, mode: 0o1777},
		dir("usr/"), dir("usr/bin/"), exe("usr/bin/dpkg", c.binary(8<<10)),
		exe("usr/bin/test", c.binary(2<<10)), hardlink("usr/bin/[", "usr/bin/test"),
		exe("usr/bin/apt-get", pc.binary(4<<10)),
		dir("var/"), dir("var/lib/"), dir("var/lib/dpkg/"),
		dir("var/lib/apt/"), dir("var/lib/apt/lists/"), dir("var/cache/"), dir("var/cache/apt/"),
	}
	bundle, certs := c.pem(12 << 10)
	install := []entry{
		dir("etc/ssl/"), dir("etc/ssl/certs/"), file("etc/ssl/certs/ca-certificates.crt", bundle),
		exe("usr/bin/curl", c.binary(8<<10)), exe("usr/bin/openssl", pc.binary(4<<10)),
		dir("usr/lib/"), dir("usr/lib/x86_64-linux-gnu/"), file("usr/lib/x86_64-linux-gnu/libcurl.so.4", c.binary(12<<10)),
		dir("usr/sbin/"), exe("usr/sbin/update-ca-certificates", []byte(updateCACertificates)),
		dir("usr/share/"), dir("usr/share/ca-certificates/"), dir("usr/share/ca-certificates/mozilla/"),
	}
	for i, p := range mozillaPaths() {
		install = append(install, file(p, []byte(certs[i])))
	}
	inRelease, _ := c.pem(4 << 10)
	install = append(install,
		file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", inRelease),
		file("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", c.binary(16<<10)),
		file("var/lib/apt/lists/lock", nil),
		file("var/lib/apt/extended_states", nil), // its content: setPackages
	)
	return []step{
		{createdBy: "/bin/sh -c #(nop) ADD file:3c1f9e0a7d2b4e6f8a0c1e3d5b7f9a1c3e5d7b9f1a3c5e7d9b1f3a5c7e9d1b3f in / ", entries: base},
		{createdBy: `/bin/sh -c #(nop)  CMD ["bash"]`},
		{createdBy: "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl", entries: install},
		{createdBy: "/bin/sh -c #(nop)  ENV TOOL_VERSION=1.4.2"},
		{createdBy: "/bin/sh -c curl -fsSLo /tmp/tool.tar.gz https://downloads.example.com/tool-${TOOL_VERSION}.tar.gz && mkdir -p /opt/tool && tar -xzf /tmp/tool.tar.gz -C /opt/tool > /tmp/tool-install.log", entries: []entry{
			dir("opt/"), dir("opt/tool/"), dir("opt/tool/bin/"), exe("opt/tool/bin/tool", tool),
			dir("opt/tool/share/"), file("opt/tool/share/README", []byte(strings.Repeat("tool: a command-line tool for the example.\n", 40))),
			file("tmp/tool.tar.gz", c.binary(40<<10)),
			file("tmp/tool-install.log", []byte(strings.Repeat("x opt/tool/bin/tool\nx opt/tool/share/README\n", 60))),
		}},
		{createdBy: "/bin/sh -c #(nop) WORKDIR /app", entries: []entry{dir("app/")}},
		{createdBy: "/bin/sh -c rm /tmp/tool.tar.gz && cp /opt/tool/bin/tool /usr/local/bin/tool", entries: []entry{
			dir("tmp/"), file("tmp/.wh.tool.tar.gz", nil),
			dir("usr/local/"), dir("usr/local/bin/"), exe("usr/local/bin/tool", tool),
		}},
		{createdBy: "/bin/sh -c #(nop) COPY dir:7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c in /app/ ", entries: []entry{
			dir("app/"), dir("app/bin/"), exe("app/bin/app", c.binary(24<<10)), file("app/config.yaml", []byte(configDev)),
		}},
		{createdBy: "/bin/sh -c #(nop) COPY file:9e1c3a5b7d9f1e3c5a7b9d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c in /app/config.yaml ", entries: []entry{
			dir("app/"), file("app/config.yaml", []byte(configProd)),
		}},
		{createdBy: "/bin/sh -c #(nop)  EXPOSE 8080"},
		{createdBy: `/bin/sh -c #(nop)  ENTRYPOINT ["/app/bin/app"]`},
		{createdBy: `/bin/sh -c #(nop)  CMD ["--config" "/app/config.yaml"]`},
	}
}

// steps is the build, in history order.
func steps() []step {
	s := rawSteps()
	setPackages(s, append(basePkgs(), installedPkgs()...), nil)
	return s
}

// setPackages writes the dpkg database of pkgs into the steps that install
// them, as dpkg and apt leave it: each package's file list
// (var/lib/dpkg/info/NAME.list) in its step, and in each such step the
// status file of every package installed so far (sorted by name, as dpkg
// writes it). An entry var/lib/apt/extended_states in a step gets apt's
// record of the packages installed so far as dependencies. versions
// overrides the version 1.0-1 of some packages.
func setPackages(s []step, pkgs []pkgDef, versions map[string]string) {
	pkgs = append([]pkgDef{}, pkgs...)
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].name < pkgs[j].name })
	sizes := map[string]int64{}
	for _, st := range s {
		for _, e := range st.entries {
			if e.typeflag == tar.TypeReg {
				sizes[e.name] = int64(len(e.data))
			}
		}
	}
	for i := range s {
		var here, sofar []pkgDef
		for _, p := range pkgs {
			if p.step <= i {
				sofar = append(sofar, p)
			}
			if p.step == i {
				here = append(here, p)
			}
		}
		if len(here) == 0 {
			continue
		}
		if i == 0 {
			s[i].entries = append(s[i].entries, dir("var/lib/dpkg/info/"))
		}
		for _, p := range here {
			s[i].entries = append(s[i].entries, file("var/lib/dpkg/info/"+p.listName(), dpkgList(p)))
		}
		var status, extended strings.Builder
		for _, p := range sofar {
			v := "1.0-1"
			if versions[p.name] != "" {
				v = versions[p.name]
			}
			var size int64
			for _, path := range p.paths {
				size += sizes[path]
			}
			fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\n", p.name)
			if p.essential {
				status.WriteString("Essential: yes\n")
			}
			fmt.Fprintf(&status, "Priority: %s\nSection: %s\nInstalled-Size: %d\n"+
				"Maintainer: Example Maintainers <maint@example.com>\nArchitecture: amd64\n", p.priority, p.section, (size+1023)/1024)
			if p.multiArch {
				status.WriteString("Multi-Arch: same\n")
			}
			fmt.Fprintf(&status, "Version: %s\n", v)
			if len(p.depends) > 0 {
				fmt.Fprintf(&status, "Depends: %s\n", strings.Join(p.depends, ", "))
			}
			fmt.Fprintf(&status, "Description: the %s package\n"+
				" A package of the example image, with the fields of a real record.\n\n", p.name)
			if p.auto {
				fmt.Fprintf(&extended, "Package: %s\nArchitecture: amd64\nAuto-Installed: 1\n\n", p.name)
			}
		}
		for j, e := range s[i].entries {
			if e.name == "var/lib/apt/extended_states" {
				s[i].entries[j].data = []byte(extended.String())
			}
		}
		s[i].entries = append(s[i].entries, file("var/lib/dpkg/status", []byte(status.String())))
	}
}

// dpkgList is the package's file list as dpkg writes it: "/." and then
// every directory and file of the package, absolute, in path order.
func dpkgList(p pkgDef) []byte {
	seen := map[string]bool{}
	var all []string
	add := func(p string) {
		for d := p; d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			all = append(all, d)
		}
	}
	for _, d := range p.dirs {
		add(d)
	}
	for _, f := range p.paths {
		add(f)
	}
	sort.Strings(all)
	var b strings.Builder
	b.WriteString("/.\n")
	for _, f := range all {
		b.WriteString("/" + f + "\n")
	}
	return []byte(b.String())
}

// layerBlob returns the gzip-compressed tar of entries, all stamped with mtime.
func layerBlob(entries []entry, mtime time.Time) ([]byte, error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range entries {
		h := &tar.Header{
			Name:     e.name,
			Typeflag: e.typeflag,
			Mode:     e.mode,
			Size:     int64(len(e.data)),
			Linkname: e.linkname,
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		if e.typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing header of %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("writing %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing tar: %w", err)
	}
	var zb bytes.Buffer
	zw, err := gzip.NewWriterLevel(&zb, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("starting gzip: %w", err)
	}
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing: %w", err)
	}
	return zb.Bytes(), nil
}

// Image builds the example image.
func Image() (v1.Image, error) { return imageOf(steps()) }

// imageOf builds the image of the steps.
func imageOf(steps []step) (v1.Image, error) {
	cfg := &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: epoch.Add(time.Hour)},
		Config: v1.Config{
			Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TOOL_VERSION=1.4.2"},
			Entrypoint:   []string{"/app/bin/app"},
			Cmd:          []string{"--config", "/app/config.yaml"},
			WorkingDir:   "/app",
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	var adds []mutate.Addendum
	for i, s := range steps {
		when := epoch.Add(time.Duration(i) * time.Minute)
		h := v1.History{CreatedBy: s.createdBy, Created: v1.Time{Time: when}}
		if s.entries == nil {
			h.EmptyLayer = true
			adds = append(adds, mutate.Addendum{History: h})
			continue
		}
		blob, err := layerBlob(s.entries, when)
		if err != nil {
			return nil, fmt.Errorf("building layer of step %d: %w", i, err)
		}
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(blob)), nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading layer of step %d: %w", i, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: h})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	return img, nil
}

// Build writes the example image as a docker-archive tar to w.
func Build(w io.Writer) error {
	img, err := Image()
	if err != nil {
		return err
	}
	return write(w, img, Tag)
}

// write writes img as a docker-archive tar named t to w.
func write(w io.Writer, img v1.Image, t string) error {
	tag, err := name.NewTag(t)
	if err != nil {
		return fmt.Errorf("parsing tag: %w", err)
	}
	if err := tarball.Write(tag, img, w); err != nil {
		return fmt.Errorf("writing archive: %w", err)
	}
	return nil
}

// Entry is one tar entry the generator declares, for tests that check
// figures against what the image holds by construction.
type Entry struct {
	// Path is the entry's name in the layer tar (relative, directories
	// ending in "/").
	Path string
	// Type is the tar type flag.
	Type byte
	// Data is a regular file's content.
	Data []byte
	// Link is the target of a hard link or symlink.
	Link string
}

// Layer is one layer as the generator declares it.
type Layer struct {
	CreatedBy string
	Entries   []Entry
}

// Layers returns the image's layers as declared, bottom first (history
// entries without a layer left out).
func Layers() []Layer { return layersOf(steps()) }

// NextLayers returns the layers of the next release (NextImage), as
// declared, bottom first.
func NextLayers() []Layer { return layersOf(nextSteps()) }

func layersOf(steps []step) []Layer {
	var out []Layer
	for _, s := range steps {
		if s.entries == nil {
			continue
		}
		l := Layer{CreatedBy: s.createdBy}
		for _, e := range s.entries {
			l.Entries = append(l.Entries, Entry{Path: e.name, Type: e.typeflag, Data: e.data, Link: e.linkname})
		}
		out = append(out, l)
	}
	return out
}

// Package is one dpkg package of the image as the generator declares it,
// for tests that check package figures against what the image holds by
// construction.
type Package struct {
	Name string
	// Layer is the layer that installs it (an index into Layers()).
	Layer int
	// Paths are the entry names (as in Entry.Path) of the files, hard
	// links and symlinks it ships; its file list also names their
	// directories.
	Paths []string
	// ListPath is the entry name of its file list.
	ListPath string
	// Auto: apt installed it as a dependency.
	Auto bool
}

// Packages returns the image's dpkg packages, in name order.
func Packages() []Package {
	layerOf := map[int]int{}
	n := 0
	for i, s := range steps() {
		if s.entries != nil {
			layerOf[i] = n
			n++
		}
	}
	defs := append(basePkgs(), installedPkgs()...)
	sort.Slice(defs, func(i, j int) bool { return defs[i].name < defs[j].name })
	var out []Package
	for _, d := range defs {
		out = append(out, Package{Name: d.name, Layer: layerOf[d.step], Paths: append([]string{}, d.paths...),
			ListPath: "var/lib/dpkg/info/" + d.listName(), Auto: d.auto})
	}
	return out
}
