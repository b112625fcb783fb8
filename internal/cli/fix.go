package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewCmdFix builds the command. Not built yet: its issue is open.
func NewCmdFix() *cobra.Command {
	return &cobra.Command{
		Use:    "fix",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("fix is not built yet")
		},
	}
}
