package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewCmdSquash builds the command. Not built yet: its issue is open.
func NewCmdSquash() *cobra.Command {
	return &cobra.Command{
		Use:    "squash",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("squash is not built yet")
		},
	}
}
