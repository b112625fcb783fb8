package layer_test

import (
	"context"
	"fmt"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/layer"
)

func ExampleWalk() {
	l, err := synth.NewLayer(synth.Layer{Entries: []synth.Entry{
		synth.Dir("./etc/"),
		synth.File("/etc/motd", "hello"),
		synth.Whiteout("etc/old.conf"),
		synth.Opaque("var/cache"),
	}}, true)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = layer.Walk(context.Background(), l, func(e *layer.Entry) error {
		if p, ok := e.Whiteout(); ok {
			fmt.Println("removes", p)
		} else if d, ok := e.Opaque(); ok {
			fmt.Println("hides lower content of", d)
		} else {
			fmt.Println(e.Path, e.Header.Size)
		}
		return nil
	})
	fmt.Println("verified:", err == nil)
	// Output:
	// etc 0
	// etc/motd 5
	// removes etc/old.conf
	// hides lower content of var/cache
	// verified: true
}
