// Package cli is whittle's command tree: one file per command, flags as
// closure locals, rendering chosen here and computed nowhere else.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command, so that CI can branch on them.
const (
	ExitOK    = 0 // success, or a clean result
	ExitFail  = 1 // the command ran and found something at or above the threshold
	ExitError = 2 // bad input, bad flags, or an error while reading
)

// exitCodeError is returned by a command to ask for a specific exit code. The
// message, if any, has already been printed.
type exitCodeError struct{ code int }

func (e *exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// withExitCode asks Execute to exit with code without printing anything more.
func withExitCode(code int) error { return &exitCodeError{code: code} }

// NewRootCmd builds the whole command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "whittle",
		Short: "Make container images small, and prove every byte it saves",
		Long: `whittle finds the waste in Dockerfiles (lint), repairs it (fix), measures it
exactly in built images (analyze), removes it from built images without a
rebuild (squash), accounts for many images together, shared layers counted
once (fleet), and shows what changed between two images (diff).

Exit codes: 0 success, 1 a check failed (findings or thresholds), 2 error,
130 and 143 interrupted by SIGINT and SIGTERM (nothing written then).`,
		Version:       readVersionInfo().line(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// --version prints the first line of "whittle version". Defining the
	// flag here, rather than letting cobra add its own, sets its help text.
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().BoolP("version", "v", false, `print the version and exit ("whittle version" gives the build details)`)
	root.AddCommand(
		NewCmdAnalyze(),
		NewCmdLint(),
		NewCmdFix(),
		NewCmdSquash(),
		NewCmdFleet(),
		NewCmdDiff(),
		NewCmdVersion(),
	)
	registerCompletions(root)
	return root
}

// Execute runs the command line args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, _ = withActivity(ctx)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	command := "whittle"
	if c, _, ferr := root.Find(args); ferr == nil && c != root {
		command = c.Name()
	}
	var ie *interruptedError
	if errors.As(interrupted(ctx, command, err), &ie) {
		fmt.Fprintf(stderr, "whittle: %v\n", ie)
		return ie.exitCode()
	}
	var ec *exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	fmt.Fprintf(stderr, "whittle: %v\n", err)
	return ExitError
}
