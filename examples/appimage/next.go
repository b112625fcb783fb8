package appimage

import (
	"io"
	"math/rand/v2"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// NextTag is the name written into the next release's manifest.json.
const NextTag = "example.com/whittle/app:1.1"

// The next release of the example, built on the same base layer, for
// `whittle diff`: what changed is known by construction.
//
//	layer 1  apt-get also installs jq (usr/bin/jq, 6 KiB), upgrades curl and
//	         libcurl4 to 1.1-1 (libcurl.so.4 grows from 12 to 14 KiB), and
//	         no longer pulls in openssl (usr/bin/openssl, 4 KiB: the new
//	         ca-certificates no longer depends on it)
//	layer 2  the tool download, as before (the same content, on another
//	         layer below: no longer shared)
//	layer 3  WORKDIR /app, as before
//	layer 4  also deletes /tmp/tool-install.log (a whiteout: the log is no
//	         longer visible, though layer 2 still ships it)
//	layer 5  the application grows from 24 to 28 KiB, and gains
//	         /app/static/index.html
//	layer 6  the same config
//
// The base layer (layer 0) is byte-identical to the example's, so the two
// images share it.

// Next change sizes, for tests.
const (
	NextJqBytes      = 6 << 10
	NextLibcurlBytes = 14 << 10
	NextAppBytes     = 28 << 10
)

// NextIndexHTML is the content of /app/static/index.html in the next
// release.
const NextIndexHTML = "<!doctype html>\n<title>app</title>\n<p>Hello from app 1.1.</p>\n"

// nextSteps is the build of the next release.
func nextSteps() []step {
	s := rawSteps()
	c := content{rng: rand.NewChaCha8([32]byte{'n', 'e', 'x', 't'})}
	s[2].createdBy = "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates curl jq"
	var install []entry
	for _, e := range s[2].entries {
		switch e.name {
		case "usr/lib/x86_64-linux-gnu/libcurl.so.4":
			e.data = c.binary(NextLibcurlBytes)
		case "usr/bin/openssl":
			continue
		}
		install = append(install, e)
	}
	s[2].entries = append(install, exe("usr/bin/jq", c.binary(NextJqBytes)))
	pkgs := basePkgs()
	for _, p := range installedPkgs() {
		switch p.name {
		case "openssl":
			continue
		case "ca-certificates":
			p.depends = nil
		}
		pkgs = append(pkgs, p)
	}
	pkgs = append(pkgs, pkgDef{name: "jq", step: 2, paths: []string{"usr/bin/jq"}, depends: []string{"libc6"},
		priority: "optional", section: "utils"})
	setPackages(s, pkgs, map[string]string{"curl": "1.1-1", "libcurl4": "1.1-1"})
	s[6].createdBy = "/bin/sh -c rm /tmp/tool.tar.gz /tmp/tool-install.log && cp /opt/tool/bin/tool /usr/local/bin/tool"
	s[6].entries = append(s[6].entries[:2:2], append([]entry{file("tmp/.wh.tool-install.log", nil)}, s[6].entries[2:]...)...)
	for i, e := range s[7].entries {
		if e.name == "app/bin/app" {
			s[7].entries[i].data = c.binary(NextAppBytes)
		}
	}
	s[7].entries = append(s[7].entries, dir("app/static/"), file("app/static/index.html", []byte(NextIndexHTML)))
	return s
}

// NextImage builds the next release of the example image.
func NextImage() (v1.Image, error) { return imageOf(nextSteps()) }

// BuildNext writes the next release as a docker-archive tar to w.
func BuildNext(w io.Writer) error {
	img, err := NextImage()
	if err != nil {
		return err
	}
	return write(w, img, NextTag)
}
