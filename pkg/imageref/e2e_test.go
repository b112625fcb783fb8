package imageref

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The end-to-end tier (scripts/e2e.d/20-imageref.sh) runs these tests with
// WHITTLE_E2E=1 against the real Docker Engine (DOCKER_HOST), the real
// registry (REGISTRY, plain HTTP) and skopeo, which serve as oracles: what
// whittle reads must match what they report, and what whittle writes they
// must accept.

func e2eEnv(t *testing.T) (registry string) {
	t.Helper()
	if os.Getenv("WHITTLE_E2E") != "1" {
		t.Skip("end-to-end tier: set WHITTLE_E2E=1, DOCKER_HOST and REGISTRY")
	}
	registry = os.Getenv("REGISTRY")
	if registry == "" || os.Getenv("DOCKER_HOST") == "" {
		t.Fatal("WHITTLE_E2E=1 needs DOCKER_HOST and REGISTRY")
	}
	return registry
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// engineDiffIDs is the Docker Engine's own list of an image's layers.
func engineDiffIDs(t *testing.T, ref string) []string {
	t.Helper()
	var ids []string
	out := run(t, "docker", "image", "inspect", "--format", "{{json .RootFS.Layers}}", ref)
	if err := json.Unmarshal([]byte(out), &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func diffIDs(t *testing.T, img v1.Image) []string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		// Hash the content itself, not the config's claim.
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h.String())
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestE2E(t *testing.T) {
	reg := e2eEnv(t)
	ctx := context.Background()
	w := t.TempDir()
	const src = "e2e/imageref-dive:latest"

	// The image: dive's 14-layer test image when its copy is here, else a
	// small one built on the e2e busybox base.
	if fixture := filepath.Join(diveFixtures, "test-docker-image.tar"); fileExists(fixture) {
		run(t, "docker", "load", "-q", "-i", fixture)
		run(t, "docker", "tag", "dive-test:latest", src)
	} else {
		base := os.Getenv("BUSYBOX_BASE")
		if base == "" {
			t.Fatal("neither dive's test image nor BUSYBOX_BASE is available")
		}
		ctxDir := filepath.Join(w, "build")
		if err := os.MkdirAll(ctxDir, 0o755); err != nil {
			t.Fatal(err)
		}
		df := "FROM " + base + "\nRUN echo one > /one && mkdir /d && echo two > /d/two\nRUN rm /one && echo three > /d/two\n"
		if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, "docker", "build", "--network", "host", "-q", "-t", src, ctxDir)
	}
	want := engineDiffIDs(t, src)
	if len(want) < 2 {
		t.Fatalf("engine reports %d layers, want several", len(want))
	}
	skopeo := func(args ...string) string {
		return run(t, "skopeo", append([]string{"--insecure-policy"}, args...)...)
	}
	daemonHost := []string{"--src-daemon-host", os.Getenv("DOCKER_HOST")}

	// Sources made by the real tools; each must give the engine's layers.
	run(t, "docker", "save", "-o", filepath.Join(w, "save.tar"), src)
	skopeo(append([]string{"copy", "-q"}, append(daemonHost, "docker-daemon:"+src, "oci-archive:"+filepath.Join(w, "oci.tar")+":latest")...)...)
	skopeo(append([]string{"copy", "-q", "--dest-compress-format", "zstd"}, append(daemonHost, "docker-daemon:"+src, "oci:"+filepath.Join(w, "zstd")+":z")...)...)
	run(t, "docker", "tag", src, reg+"/"+src)
	run(t, "docker", "push", "-q", reg+"/"+src)
	for _, s := range []string{
		"docker-daemon:" + src,
		"docker-archive:" + filepath.Join(w, "save.tar"),
		filepath.Join(w, "oci.tar"),
		"oci-archive:" + filepath.Join(w, "oci.tar") + ":latest",
		"oci:" + filepath.Join(w, "zstd") + ":z",
		reg + "/" + src,
	} {
		t.Run("read "+s, func(t *testing.T) {
			img, err := openRef(t, s, WithInsecure(true))
			if err != nil {
				t.Fatal(err)
			}
			if got := diffIDs(t, img); !slices.Equal(got, want) {
				t.Errorf("diff_ids %v, want the engine's %v", got, want)
			}
		})
	}

	img, err := openRef(t, "docker-daemon:"+src)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, s string, opts ...Option) {
		t.Helper()
		r, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(ctx, img, opts...); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("write docker-archive, docker load", func(t *testing.T) {
		p := filepath.Join(w, "out.tar")
		write(t, "docker-archive:"+p, WithTag("e2e/imageref-out:archive"))
		run(t, "docker", "load", "-q", "-i", p)
		if got := engineDiffIDs(t, "e2e/imageref-out:archive"); !slices.Equal(got, want) {
			t.Errorf("loaded diff_ids %v, want %v", got, want)
		}
	})
	t.Run("write oci, skopeo inspect", func(t *testing.T) {
		dir := filepath.Join(w, "layout")
		write(t, "oci:"+dir+":v1")
		var info struct{ Digest string }
		if err := json.Unmarshal([]byte(skopeo("inspect", "oci:"+dir+":v1")), &info); err != nil {
			t.Fatal(err)
		}
		// The layout holds the image's OCI form (Docker media types
		// rewritten): skopeo must see the digest we read back.
		back, err := openRef(t, "oci:"+dir+":v1")
		if err != nil {
			t.Fatal(err)
		}
		if d := mustDigest(t, back); info.Digest != d.String() {
			t.Errorf("skopeo sees %s, want %s", info.Digest, d)
		}
		bundle := filepath.Join(w, "bundle")
		run(t, "umoci", "unpack", "--image", dir+":v1", bundle)
		if !fileExists(filepath.Join(bundle, "rootfs", "bin", "busybox")) {
			t.Error("umoci unpacked no /bin/busybox")
		}
		skopeo("copy", "-q", "--dest-daemon-host", os.Getenv("DOCKER_HOST"), "oci:"+dir+":v1", "docker-daemon:e2e/imageref-out:oci")
		if got := engineDiffIDs(t, "e2e/imageref-out:oci"); !slices.Equal(got, want) {
			t.Errorf("copied diff_ids %v, want %v", got, want)
		}
	})
	t.Run("write oci-archive, skopeo inspect and copy", func(t *testing.T) {
		p := filepath.Join(w, "out-oci.tar")
		write(t, "oci-archive:"+p+":v1")
		var info struct {
			Digest string
			Layers []string
		}
		if err := json.Unmarshal([]byte(skopeo("inspect", "oci-archive:"+p+":v1")), &info); err != nil {
			t.Fatal(err)
		}
		back, err := openRef(t, "oci-archive:"+p+":v1")
		if err != nil {
			t.Fatal(err)
		}
		if d := mustDigest(t, back); info.Digest != d.String() {
			t.Errorf("skopeo sees %s, want %s", info.Digest, d)
		}
		if len(info.Layers) != len(want) {
			t.Errorf("skopeo sees %d layers, want %d", len(info.Layers), len(want))
		}
		skopeo("copy", "-q", "--dest-daemon-host", os.Getenv("DOCKER_HOST"), "oci-archive:"+p+":v1", "docker-daemon:e2e/imageref-out:ociarchive")
		if got := engineDiffIDs(t, "e2e/imageref-out:ociarchive"); !slices.Equal(got, want) {
			t.Errorf("copied diff_ids %v, want %v", got, want)
		}
	})
	t.Run("write registry, skopeo inspect", func(t *testing.T) {
		dst := reg + "/e2e/imageref-out:pushed"
		write(t, "docker://"+dst, WithInsecure(true))
		var info struct{ Digest string }
		if err := json.Unmarshal([]byte(skopeo("inspect", "--tls-verify=false", "docker://"+dst)), &info); err != nil {
			t.Fatal(err)
		}
		if d := mustDigest(t, img); info.Digest != d.String() {
			t.Errorf("registry serves %s, want %s", info.Digest, d)
		}
	})
	t.Run("write docker-daemon", func(t *testing.T) {
		write(t, "docker-daemon:e2e/imageref-out:daemon")
		if got := engineDiffIDs(t, "e2e/imageref-out:daemon"); !slices.Equal(got, want) {
			t.Errorf("engine diff_ids %v, want %v", got, want)
		}
	})
}
