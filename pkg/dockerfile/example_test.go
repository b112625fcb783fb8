package dockerfile_test

import (
	"fmt"

	"mvdan.cc/sh/v3/syntax"

	"github.com/whittle/whittle/pkg/dockerfile"
)

func ExampleParse() {
	src := []byte(`FROM golang:1.22 AS build
RUN go build \
    # a comment line BuildKit drops
    -o /out/app .
FROM alpine:3.19
COPY --from=build /out/app /app
`)
	f, err := dockerfile.Parse("Dockerfile", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range f.Stages {
		fmt.Printf("stage %s on %s, reaches the image: %v\n", st.Label(), st.Base, st.Reaches)
	}
	run := f.Instructions[1]
	fmt.Printf("%s at %d:%d-%d:%d runs %q\n", run.Kind, run.Range.Start.Line, run.Range.Start.Col,
		run.Range.End.Line, run.Range.End.Col, run.Run.Script.Text)
	// Every shell word maps back to the file's bytes.
	syntax.Walk(run.Run.Script.File, func(n syntax.Node) bool {
		if w, ok := n.(*syntax.Word); ok {
			r := run.Run.Script.Range(w)
			fmt.Printf("  %-8s line %d col %d\n", w.Lit(), r.Start.Line, r.Start.Col)
			return false
		}
		return true
	})
	// Output:
	// stage build on golang:1.22, reaches the image: true
	// stage 1 on alpine:3.19, reaches the image: true
	// RUN at 2:1-4:18 runs "go build     -o /out/app ."
	//   go       line 2 col 5
	//   build    line 2 col 8
	//   -o       line 4 col 5
	//   /out/app line 4 col 8
	//   .        line 4 col 17
}
