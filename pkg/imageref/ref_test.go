package imageref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "img.tar")
	colonPath := filepath.Join(dir, "with:colon.tar")
	layoutDir := filepath.Join(dir, "layout")
	plainDir := filepath.Join(dir, "plain")
	for _, p := range []string{tarPath, colonPath} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	colonDir := filepath.Join(dir, "a:b")
	for _, d := range []string{layoutDir, plainDir, colonDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(layoutDir, "index.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	tests := []struct {
		in      string
		kind    Kind
		path    string
		tag     string
		name    string
		wantErr string // substring of the error; "" when Parse must succeed
	}{
		{in: "docker-archive:" + tarPath, kind: Archive, path: tarPath},
		{in: "docker-archive:out.tar", kind: Archive, path: "out.tar"},
		{in: "docker-archive:out.tar:app:v1", kind: Archive, path: "out.tar", tag: "app:v1"},
		{in: "docker-archive:" + colonPath, kind: Archive, path: colonPath},
		{in: "docker-archive:" + colonDir + "/new.tar", kind: Archive, path: colonDir + "/new.tar"},
		{in: "oci:" + colonDir + "/lay", kind: Layout, path: colonDir + "/lay"},
		{in: "docker-archive:", wantErr: "missing path"},
		// dive's docker-archive://PATH: the two slashes go, as in dive.
		{in: "docker-archive://out.tar", kind: Archive, path: "out.tar"},
		{in: "docker-archive://out.tar:app:v1", kind: Archive, path: "out.tar", tag: "app:v1"},
		{in: "docker-archive://" + tarPath, kind: Archive, path: tarPath},
		{in: "docker-archive://", wantErr: "missing path"},
		// dive's podman://IMAGE is no registry: refused with the ways to read it.
		{in: "podman://app:1", wantErr: `unsupported transport "podman://" (dive's spelling of podman's engine: whittle analyze --source podman IMAGE reads it through podman's API socket; or podman save -o image.tar IMAGE and name docker-archive:image.tar)`},
		{in: "docker-archive:out.tar:Bad Name", wantErr: "invalid image name"},
		{in: "oci:" + layoutDir, kind: Layout, path: layoutDir},
		{in: "oci:" + layoutDir + ":v1", kind: Layout, path: layoutDir, tag: "v1"},
		{in: "oci:out:docker.io/library/alpine:3.20", kind: Layout, path: "out", tag: "docker.io/library/alpine:3.20"},
		{in: "oci:", wantErr: "missing directory"},
		{in: "oci:out:bad tag", wantErr: "invalid tag"},
		{in: "docker-daemon:alpine", kind: Daemon, name: "index.docker.io/library/alpine:latest", tag: "latest"},
		{in: "docker-daemon:alpine:3.20", kind: Daemon, name: "index.docker.io/library/alpine:3.20", tag: "3.20"},
		{in: "docker-daemon:", wantErr: "missing image name"},
		{in: "docker-daemon:UPPER", wantErr: "invalid image name"},
		{in: "docker://alpine", kind: Registry, name: "index.docker.io/library/alpine:latest", tag: "latest"},
		{in: "docker://localhost:5000/a/b:t", kind: Registry, name: "localhost:5000/a/b:t", tag: "t"},
		{in: "docker://ghcr.io/o/r@" + digest, kind: Registry, name: "ghcr.io/o/r@" + digest, tag: digest},
		{in: "docker://", wantErr: "missing image name"},
		{in: "docker://a b", wantErr: "invalid image name"},
		{in: "alpine:3.20", kind: Registry, name: "index.docker.io/library/alpine:3.20", tag: "3.20"},
		{in: "registry.example.com:5000/team/app", kind: Registry, name: "registry.example.com:5000/team/app:latest", tag: "latest"},
		{in: tarPath, kind: Archive, path: tarPath},
		{in: layoutDir, kind: Layout, path: layoutDir},
		{in: plainDir, wantErr: "no index.json"},
		{in: filepath.Join(dir, "missing"), wantErr: "no such file"},
		{in: "./missing", wantErr: "no such file"},
		// A name ending in "/" is a directory, never an image name.
		{in: "missing/", wantErr: "no such file"},
		{in: "team/app/", wantErr: "no such file"},
		{in: layoutDir + "/", kind: Layout, path: layoutDir + "/"},
		{in: "new.tar", kind: Archive, path: "new.tar"},
		{in: filepath.Join(dir, "new.tar"), kind: Archive, path: filepath.Join(dir, "new.tar")},
		{in: "", wantErr: "empty reference"},
		{in: "   ", wantErr: "empty reference"},
		{in: "oci-archive:x.tar", kind: OCIArchive, path: "x.tar"},
		{in: "oci-archive:x.tar:v1", kind: OCIArchive, path: "x.tar", tag: "v1"},
		{in: "oci-archive:" + tarPath, kind: OCIArchive, path: tarPath},
		{in: "oci-archive:" + colonPath, kind: OCIArchive, path: colonPath},
		{in: "oci-archive:", wantErr: "missing path"},
		{in: "oci-archive:x.tar:bad tag", wantErr: "invalid tag"},
		{in: "-", wantErr: "standard input is not an image reference"},
		{in: "containers-storage:alpine", wantErr: "unsupported transport"},
		{in: "Alpine", wantErr: "neither an existing path nor a valid image name"},
		{in: "alpine:bad tag", wantErr: "neither an existing path nor a valid image name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want error containing %q", tt.in, r, tt.wantErr)
				}
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Input != tt.in {
					t.Errorf("error %v is not a *ParseError for %q", err, tt.in)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if r.Kind() != tt.kind || r.Path() != tt.path || r.Tag() != tt.tag || r.Name() != tt.name {
				t.Errorf("Parse(%q) = kind %v path %q tag %q name %q; want %v %q %q %q",
					tt.in, r.Kind(), r.Path(), r.Tag(), r.Name(), tt.kind, tt.path, tt.tag, tt.name)
			}
			// String gives a form that parses back to the same reference.
			again, err := Parse(r.String())
			if err != nil {
				t.Fatalf("Parse(%q) (from String): %v", r.String(), err)
			}
			if again.String() != r.String() || again.Kind() != r.Kind() || again.Path() != r.Path() ||
				again.Tag() != r.Tag() || again.Name() != r.Name() {
				t.Errorf("String round trip: %q -> %q", r.String(), again.String())
			}
		})
	}
}

// TestParseDestination: a bare destination names a registry only with a
// registry host; anything else that is not a path is refused with the
// spellings of each kind.
func TestParseDestination(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, f := range []string{"app.tar", "busybox"} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"lay", "emptydir", "plain", "build.d", "localhost"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"lay/index.json", "plain/notes.txt"} {
		if err := os.WriteFile(f, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	tests := []struct {
		in      string
		kind    Kind
		path    string
		name    string
		wantErr string // the whole message after `parsing destination "IN": `
	}{
		// Existing paths, whatever they look like.
		{in: "app.tar", kind: Archive, path: "app.tar"},
		{in: "busybox", kind: Archive, path: "busybox"},
		{in: "lay", kind: Layout, path: "lay"},
		{in: "emptydir", kind: Layout, path: "emptydir"},
		{in: "plain", wantErr: "a directory that is not an OCI image layout (no index.json); whittle does not write into it (name a new directory, oci:NEWDIR, or a file, NAME.tar)"},
		// New archives.
		{in: "new.tar", kind: Archive, path: "new.tar"},
		{in: "NEW.TAR", kind: Archive, path: "NEW.TAR"},
		{in: "missing/new.tar", kind: Archive, path: "missing/new.tar"},
		{in: "./x.tar", kind: Archive, path: "./x.tar"},
		// Registries: a host with a dot, a port or localhost.
		{in: "registry.example.com/app:1", kind: Registry, name: "registry.example.com/app:1"},
		{in: "localhost:5000/app", kind: Registry, name: "localhost:5000/app:latest"},
		{in: "127.0.0.1:5000/app", kind: Registry, name: "127.0.0.1:5000/app:latest"},
		{in: "ghcr.io/o/r@" + digest, kind: Registry, name: "ghcr.io/o/r@" + digest},
		{in: "[::1]:5000/app", kind: Registry, name: "[::1]:5000/app:latest"},
		{in: "registry.example.com/App", wantErr: "not a valid image name: could not parse reference: registry.example.com/App"},
		// A host that is also a directory here: ambiguous.
		{in: "localhost/app", wantErr: "ambiguous: localhost is a registry host and a directory here; write docker://localhost/app for the registry, or oci:localhost/app for a new layout"},
		{in: "build.d/out", wantErr: "ambiguous: build.d is a registry host and a directory here; write docker://build.d/out for the registry, or oci:build.d/out for a new layout"},
		// Prefixes say it all.
		{in: "docker://newimage", kind: Registry, name: "index.docker.io/library/newimage:latest"},
		{in: "oci:newimage", kind: Layout, path: "newimage"},
		{in: "oci-archive:newimage", kind: OCIArchive, path: "newimage"},
		{in: "docker-archive://new.tar", kind: Archive, path: "new.tar"},
		{in: "podman://newimage", wantErr: `unsupported transport "podman://" (dive's spelling of podman's engine: whittle analyze --source podman IMAGE reads it through podman's API socket; or podman save -o image.tar IMAGE and name docker-archive:image.tar)`},
		{in: "docker-daemon:newimage", kind: Daemon, name: "index.docker.io/library/newimage:latest"},
		// Bare names: refused, with the spellings.
		{in: "newimage", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write newimage.tar (a docker save archive), oci:newimage (an OCI image layout), docker://newimage (push to a registry) or docker-daemon:newimage (load into the Docker Engine)"},
		{in: "app:v2", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write docker-archive:app.tar:app:v2 (a docker save archive), oci:app:v2 (an OCI image layout), docker://app:v2 (push to a registry) or docker-daemon:app:v2 (load into the Docker Engine)"},
		{in: "team/app", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write team/app.tar (a docker save archive), oci:team/app (an OCI image layout), docker://team/app (push to a registry) or docker-daemon:team/app (load into the Docker Engine)"},
		{in: "Bad Name", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write Bad Name.tar (a docker save archive) or oci:Bad Name (an OCI image layout)"},
		{in: "localhost:5000", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write docker-archive:localhost.tar:localhost:5000 (a docker save archive), oci:localhost:5000 (an OCI image layout), docker://localhost:5000 (push to a registry) or docker-daemon:localhost:5000 (load into the Docker Engine)"},
		{in: "./newdir", wantErr: "no such file or directory; write ./newdir.tar (a docker save archive) or oci:./newdir (an OCI image layout)"},
		// Written as a directory: a path, offered without the slash.
		{in: "out/", wantErr: "no such file or directory; write out.tar (a docker save archive) or oci:out (an OCI image layout)"},
		{in: "team/app//", wantErr: "no such file or directory; write team/app.tar (a docker save archive) or oci:team/app (an OCI image layout)"},
		{in: "emptydir/", kind: Layout, path: "emptydir/"},
		// A digest is not the writer's to choose: offered without it.
		{in: "newimage@" + digest, wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write newimage.tar (a docker save archive), oci:newimage (an OCI image layout), docker://newimage (push to a registry) or docker-daemon:newimage (load into the Docker Engine)"},
		{in: "app:v2@" + digest, wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write docker-archive:app.tar:app:v2 (a docker save archive), oci:app:v2 (an OCI image layout), docker://app:v2 (push to a registry) or docker-daemon:app:v2 (load into the Docker Engine)"},
		{in: "newimage@sha256:abc", wantErr: "neither an existing path, a new *.tar file nor an image name with a registry host; write newimage.tar (a docker save archive), oci:newimage (an OCI image layout), docker://newimage (push to a registry) or docker-daemon:newimage (load into the Docker Engine)"},
		// An @ in a path is part of the path.
		{in: "./mail@host:x/out", wantErr: "no such file or directory; write ./mail@host:x/out.tar (a docker save archive) or oci:./mail@host:x/out (an OCI image layout)"},
		{in: "/surely/missing/out", wantErr: "no such file or directory; write /surely/missing/out.tar (a docker save archive) or oci:/surely/missing/out (an OCI image layout)"},
		{in: "-", wantErr: "writing an image to standard output is not supported; name a file (out.tar, oci-archive:out.tar), a layout (oci:DIR) or docker://REF"},
		{in: "", wantErr: "empty reference"},
		{in: "dir:out", wantErr: `unsupported transport "dir" (use oci:DIR for an OCI image layout)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseDestination(tt.in)
			if tt.wantErr != "" {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Input != tt.in || !pe.Destination {
					t.Fatalf("ParseDestination(%q) = %v, %v; want a destination *ParseError", tt.in, r, err)
				}
				if want := fmt.Sprintf("parsing destination %q: %s", tt.in, tt.wantErr); err.Error() != want {
					t.Errorf("error\n  %s\nwant\n  %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDestination(%q): %v", tt.in, err)
			}
			if r.Kind() != tt.kind || r.Path() != tt.path || r.Name() != tt.name {
				t.Errorf("ParseDestination(%q) = kind %v path %q name %q; want %v %q %q",
					tt.in, r.Kind(), r.Path(), r.Name(), tt.kind, tt.path, tt.name)
			}
			again, err := ParseDestination(r.String())
			if err != nil || again.String() != r.String() {
				t.Errorf("String round trip: %q -> %q, %v", r.String(), again.String(), err)
			}
		})
	}
}

func TestParseMissingPathIsNotExist(t *testing.T) {
	for _, in := range []string{"./surely/missing/dir", "surely-missing/"} {
		_, err := Parse(in)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v does not wrap os.ErrNotExist", err)
		}
		// The message says it once, and offers no output spellings to a
		// reader.
		if want := fmt.Sprintf("parsing image reference %q: no such file or directory", in); err == nil || err.Error() != want {
			t.Errorf("Parse(%q): %v; want %s", in, err, want)
		}
	}
}

func TestParseRelativePaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("app.tar", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("lay", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("lay", "index.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file whose name is also a valid registry reference: the file wins.
	if err := os.WriteFile("busybox", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]Kind{"app.tar": Archive, "./app.tar": Archive, "lay": Layout, "busybox": Archive, "alpine": Registry} {
		r, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if r.Kind() != want {
			t.Errorf("Parse(%q).Kind() = %v, want %v", in, r.Kind(), want)
		}
	}
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.tar")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.tar")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	linkDir := filepath.Join(dir, "linkdir")
	if err := os.Symlink(dir, linkDir); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		a, b string
		want bool
	}{
		{"docker-archive:a.tar", file, true},
		{"docker-archive:a.tar", "docker-archive:./x/../a.tar", true},
		{"docker-archive:a.tar", "docker-archive:" + link, true},
		{"docker-archive:" + filepath.Join(linkDir, "new.tar"), "docker-archive:new.tar", true},
		{"docker-archive:a.tar", "docker-archive:b.tar", false},
		{"docker-archive:a.tar", "oci:a.tar", true},
		{"oci:lay", "oci:lay/", true},
		{"oci:lay", "oci:lay:v1", true},
		{"oci:lay:v1", "oci:lay:v1", true},
		{"oci:lay:v1", "oci:lay:v2", false},
		{"oci:lay:v1", "oci:other:v1", false},
		{"docker://alpine", "index.docker.io/library/alpine:latest", true},
		{"docker.io/library/alpine", "alpine:latest", true},
		{"alpine:3", "alpine:4", false},
		{"localhost:5000/a:1", "localhost:5001/a:1", false},
		{"docker-daemon:alpine", "docker-daemon:docker.io/library/alpine:latest", true},
		{"docker-daemon:alpine", "docker-daemon:alpine:3", false},
		{"docker-daemon:alpine", "docker://alpine", false},
		{"docker-archive:a.tar", "alpine", false},
	}
	for _, tt := range tests {
		a, err := Parse(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Parse(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Same(b); got != tt.want {
			t.Errorf("Same(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Same(a); got != tt.want {
			t.Errorf("Same(%s, %s) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
	if (Ref{}).Same(Ref{}) {
		t.Error("zero Refs are the same location")
	}
}
