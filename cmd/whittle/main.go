// Command whittle finds, measures and removes the waste in container images.
package main

import (
	"context"
	"os"

	"github.com/whittle/whittle/internal/cli"
)

func main() {
	// SIGINT and SIGTERM cancel ctx, naming the signal (exit 130, 143).
	ctx, stop := cli.NotifyContext(context.Background())
	code := cli.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
