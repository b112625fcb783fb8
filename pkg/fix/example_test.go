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
		fmt.Printf("line %d: %s %s\n", c.Line, c.Rule, c.Message)
	}
	// Output:
	// FROM alpine:3.20
	// RUN apk add --virtual .build-deps --no-cache gcc musl-dev && \
	//     make -C /src install && \
	//     apk del .build-deps
	// line 2: WH101 merged into one RUN the RUNs that create and remove the same files or packages
	// line 2: WH101 build dependencies grouped with apk add --virtual .build-deps and removed with apk del .build-deps
	// line 2: WH301 added --no-cache to apk add
}
