package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewCmdAnalyze builds the command. Not built yet: its issue is open.
func NewCmdAnalyze() *cobra.Command {
	return &cobra.Command{
		Use:    "analyze",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("analyze is not built yet")
		},
	}
}
