package edit_test

import (
	"bytes"
	"fmt"

	"github.com/whittle/whittle/pkg/edit"
)

func ExampleSet() {
	src := []byte("RUN apt-get update && \\\n  apt-get install -y curl\n")
	st := edit.DetectStyle(src, '\\')
	s := edit.NewSet(src)
	// Two repairs, composed: a flag after "install" and a cleanup at the end.
	at := bytes.Index(src, []byte("install")) + len("install")
	if err := s.Add(edit.Insert(at, " --no-install-recommends")); err != nil {
		fmt.Println(err)
	}
	if err := s.Add(edit.Insert(len(src)-1, st.Append("&&", true, "rm -rf /var/lib/apt/lists/*"))); err != nil {
		fmt.Println(err)
	}
	fmt.Print(string(s.Apply()))
	// Output:
	// RUN apt-get update && \
	//   apt-get install --no-install-recommends -y curl && \
	//   rm -rf /var/lib/apt/lists/*
}
