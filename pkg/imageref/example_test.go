package imageref_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/whittle/whittle/pkg/imageref"
)

func ExampleParse() {
	for _, s := range []string{
		"docker-archive:app.tar",
		"docker-archive:out.tar:app:slim",
		"oci:build/layout:v1",
		"docker-daemon:app:latest",
		"docker://ghcr.io/acme/app:1.2",
		"alpine:3.20",
	} {
		r, err := imageref.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-14s path=%q tag=%q name=%q\n", r.Kind(), r.Path(), r.Tag(), r.Name())
	}
	_, err := imageref.Parse("oci:")
	fmt.Println(err)
	// Output:
	// docker-archive path="app.tar" tag="" name=""
	// docker-archive path="out.tar" tag="app:slim" name=""
	// oci            path="build/layout" tag="v1" name=""
	// docker-daemon  path="" tag="latest" name="index.docker.io/library/app:latest"
	// docker         path="" tag="1.2" name="ghcr.io/acme/app:1.2"
	// docker         path="" tag="3.20" name="index.docker.io/library/alpine:3.20"
	// parsing image reference "oci:": missing directory after oci:
}

// A bare destination is a registry only with a registry host; other bare
// names are refused with the ways to spell each kind of destination.
func ExampleParseDestination() {
	for _, s := range []string{
		"slim.tar",
		"oci-archive:slim.tar:v1",
		"registry.example.com/app:slim",
		"localhost:5000/app",
		"newimage",
	} {
		r, err := imageref.ParseDestination(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(r)
	}
	// Output:
	// docker-archive:slim.tar
	// oci-archive:slim.tar:v1
	// docker://registry.example.com/app:slim
	// docker://localhost:5000/app
	// parsing destination "newimage": neither an existing path, a new *.tar file nor an image name with a registry host; write newimage.tar (a docker save archive), oci:newimage (an OCI image layout), docker://newimage (push to a registry) or docker-daemon:newimage (load into the Docker Engine)
}

func ExampleRef_Same() {
	pairs := [][2]string{
		{"docker-archive:app.tar", "docker-archive:./build/../app.tar"},
		{"alpine", "docker://docker.io/library/alpine:latest"},
		{"oci:out:v1", "oci:out:v2"},
		{"docker-daemon:app", "docker://app"},
	}
	for _, p := range pairs {
		a, _ := imageref.Parse(p[0])
		b, _ := imageref.Parse(p[1])
		fmt.Println(p[0], p[1], a.Same(b))
	}
	// Output:
	// docker-archive:app.tar docker-archive:./build/../app.tar true
	// alpine docker://docker.io/library/alpine:latest true
	// oci:out:v1 oci:out:v2 false
	// docker-daemon:app docker://app false
}

// Write an image to an OCI layout under a tag, then read it back.
func ExampleRef_Write() {
	dir, err := os.MkdirTemp("", "imageref-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	img, err := random.Image(1024, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	out, err := imageref.Parse("oci:" + filepath.Join(dir, "layout") + ":v1")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := out.Write(ctx, img); err != nil {
		fmt.Println(err)
		return
	}
	back, err := out.Image(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	layers, err := back.Layers()
	if err != nil {
		fmt.Println(err)
		return
	}
	mt, _ := back.MediaType()
	fmt.Println(len(layers), "layers,", mt)

	missing, err := imageref.Parse("oci:" + filepath.Join(dir, "layout") + ":v2")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = missing.Image(ctx)
	fmt.Println(errors.Is(err, imageref.ErrNotFound))

	// The tag is there: writing it again is refused unless replacing.
	err = out.CheckWrite(ctx)
	fmt.Println(errors.Is(err, imageref.ErrExists))
	fmt.Println(out.Write(ctx, img, imageref.WithReplace(true)))
	// Output:
	// 3 layers, application/vnd.oci.image.manifest.v1+json
	// true
	// true
	// <nil>
}
