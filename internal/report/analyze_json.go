package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/whittle/whittle/pkg/account"
)

// AnalyzeJSON writes the report as it is, indented by two spaces, followed
// by a newline. The fields are documented in docs/schema/analyze-v1.md.
func AnalyzeJSON(w io.Writer, r *account.Report) error { return indentJSON(w, r) }

// indentJSON writes v indented by two spaces, followed by a newline.
func indentJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding report: %w", err)
	}
	return nil
}
