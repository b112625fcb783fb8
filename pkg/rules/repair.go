package rules

import (
	"fmt"
	"strings"

	"github.com/whittle/whittle/pkg/dockerfile"
	"github.com/whittle/whittle/pkg/edit"
)

// Applicability says whether a repair may be applied without a human
// reading it, in the terms ruff uses for its fixes.
type Applicability int

// Applicabilities, from the one applied by default to the one never
// applied.
const (
	// Safe repairs cannot change what the build installs, runs or fails
	// on, only what stays in a layer: a cache removed in the same RUN
	// after its last use, RUNs merged where the merge is proven
	// equivalent, COPY --chown. whittle fix applies them by default.
	Safe Applicability = iota + 1
	// Unsafe repairs may change the package set, the network traffic or
	// the build's outcome (--no-install-recommends, --auto-remove, a base
	// switch). whittle fix applies them only with --unsafe-fixes, and
	// otherwise shows them with Repair.Reason.
	Unsafe
	// DisplayOnly repairs are never applied: whittle shows them, and
	// Repair.Reason says why a human must decide (a comment beside the
	// instruction asks for the opposite, say).
	DisplayOnly
)

// String returns "safe", "unsafe" or "display-only".
func (a Applicability) String() string {
	switch a {
	case Safe:
		return "safe"
	case Unsafe:
		return "unsafe"
	case DisplayOnly:
		return "display-only"
	}
	return fmt.Sprintf("applicability(%d)", int(a))
}

// MarshalText encodes the applicability as its name.
func (a Applicability) MarshalText() ([]byte, error) {
	if a < Safe || a > DisplayOnly {
		return nil, fmt.Errorf("encoding applicability %d: out of range", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText accepts "safe", "unsafe" and "display-only".
func (a *Applicability) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "safe":
		*a = Safe
	case "unsafe":
		*a = Unsafe
	case "display-only":
		*a = DisplayOnly
	default:
		return fmt.Errorf("unknown applicability %q (want safe, unsafe or display-only)", b)
	}
	return nil
}

// Repair is the repair a finding carries: byte edits to the Dockerfile
// that was linted, in the shape of go/analysis' SuggestedFix. whittle fix
// applies them; lint shows them.
type Repair struct {
	// Message says what the repair changes, as a sentence without a final
	// period ("add --no-install-recommends to apt-get install").
	Message string `json:"message"`
	// Applicability says whether whittle fix applies it by default.
	Applicability Applicability `json:"applicability"`
	// Reason is, for an Unsafe or DisplayOnly repair, why it is held
	// back ("apt-get install of curl without its recommends leaves out
	// ca-certificates, which https downloads need"); for a Safe one, the
	// evidence that it is safe, when it is not obvious.
	Reason string `json:"reason,omitempty"`
	// Edits are the replacements, in source order, none overlapping
	// another.
	Edits []Edit `json:"edits"`
}

// Edit is one replacement in the linted Dockerfile: the bytes [Start, End)
// become Text (Start == End inserts). Line, Column, EndLine and EndColumn
// are the same range as positions (1-based, columns in bytes, EndColumn
// exclusive), for readers that work in lines.
type Edit struct {
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`
	Text      string `json:"text"`
}

// ByteEdit returns the edit as a pkg/edit edit.
func (e Edit) ByteEdit() edit.Edit { return edit.Edit{Start: e.Start, End: e.End, Text: e.Text} }

// ByteEdits returns the repair's edits as pkg/edit edits.
func (r *Repair) ByteEdits() []edit.Edit {
	out := make([]edit.Edit, len(r.Edits))
	for i, e := range r.Edits {
		out[i] = e.ByteEdit()
	}
	return out
}

// newRepair returns a repair of f made of edits, with their positions.
// Edits are sorted as pkg/edit applies them.
func newRepair(f *dockerfile.File, a Applicability, message, reason string, edits ...edit.Edit) *Repair {
	s := edit.NewSet(f.Src)
	if err := s.Add(edits...); err != nil {
		// A rule built overlapping edits: a bug, never a repair.
		return nil
	}
	r := &Repair{Message: message, Applicability: a, Reason: reason}
	for _, e := range s.Edits() {
		st, en := f.PosAt(e.Start), f.PosAt(e.End)
		r.Edits = append(r.Edits, Edit{
			Start: e.Start, End: e.End, Text: e.Text,
			Line: st.Line, Column: st.Col, EndLine: en.Line, EndColumn: en.Col,
		})
	}
	return r
}
