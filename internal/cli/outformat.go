package cli

import (
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// Report formats that an --output file's extension asks for, by command.
var (
	imageFormatsByExt = map[string]string{".json": "json", ".html": "html", ".htm": "html"}
	diffFormatsByExt  = map[string]string{".json": "json", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
	lintFormatsByExt  = map[string]string{".json": "json", ".sarif": "sarif"}
)

// formatForOutput returns the report format: --format when given, else the
// one output's extension names (report.json: json, report.html: html),
// else format. A user who writes -o report.html expects a page, not the
// text report in a file named .html. Other extensions (.txt, none) keep
// format.
func formatForOutput(cmd *cobra.Command, format, output string, byExt map[string]string) string {
	if cmd.Flags().Changed("format") || output == "" || output == "-" {
		return format
	}
	if f, ok := byExt[strings.ToLower(filepath.Ext(output))]; ok {
		return f
	}
	return format
}
