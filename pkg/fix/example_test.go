package fix_test

import (
	"fmt"

	"github.com/whittle/whittle/pkg/fix"
)

func ExampleFix() {
	src := []byte(`FROM alpine:3.20
RUN apk add gcc musl-dev
RUN make -C /src install
RUN apk del gcc musl-dev
`)
	res, err := fix.Fix(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(res.Output))
	for _, c := range res.Changes {
		fmt.Printf("line %d: %s %s (%s)\n", c.Line, c.Rule, c.Message, c.Applicability)
	}
	// Output:
	// FROM alpine:3.20
	// RUN apk add --no-cache gcc musl-dev && \
	//     make -C /src install && \
	//     apk del gcc musl-dev
	// line 2: WH301 add --no-cache to apk add (safe)
	// line 4: WH101 merge the RUNs at lines 2 to 4 into one, so that what line 4 removes is never committed (safe)
}

func ExampleWithUnsafeFixes() {
	src := []byte(`FROM debian:bookworm
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
`)
	res, err := fix.Fix(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, fd := range res.Remaining {
		if fd.Repair != nil {
			fmt.Printf("held back: %s %s (%s)\n", fd.Rule, fd.Repair.Message, fd.Repair.Applicability)
		}
	}
	res, err = fix.Fix(src, fix.WithUnsafeFixes(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(res.Output))
	// Output:
	// held back: WH202 add --no-install-recommends to apt-get install and install ca-certificates by name (unsafe)
	// FROM debian:bookworm
	// RUN apt-get update && apt-get install --no-install-recommends -y ca-certificates curl && rm -rf /var/lib/apt/lists/*
}
