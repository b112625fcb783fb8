package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewCmdLint builds the command. Not built yet: its issue is open.
func NewCmdLint() *cobra.Command {
	return &cobra.Command{
		Use:    "lint",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("lint is not built yet")
		},
	}
}
