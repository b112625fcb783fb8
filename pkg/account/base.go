package account

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BaseFromHistory finds where the base image ends in a config history:
// after the last entry that only a base image has below the image's own
// steps. Two signs are used: a layer made by `docker import` ("Imported
// from ..."), and the CMD or ENTRYPOINT a base image ends with, when layers
// follow it (an image's own CMD normally comes last). With several bases
// stacked (python on debian), the last one counts. It returns the index of
// the first history entry after the base and why, or -1.
func BaseFromHistory(h []v1.History) (int, string) {
	split, why := -1, ""
	for i, e := range h {
		switch {
		case !e.EmptyLayer && strings.HasPrefix(e.Comment, "Imported from"):
			split, why = i+1, fmt.Sprintf("history entry %d is an imported base layer (%q)", i, e.Comment)
		case e.EmptyLayer && isEndOfBase(e.CreatedBy) && CountLayers(h[i+1:]) > 0:
			split, why = i+1, fmt.Sprintf("history entry %d (%s) ends the base image", i, strings.TrimSpace(e.CreatedBy))
		}
	}
	return split, why
}

// BaseLayers is how many of an image's n layers belong to its base image,
// by BaseFromHistory, and why; -1 when the history does not tell, or does
// not pair with the layers (it lists another number of them).
func BaseLayers(cfg *v1.ConfigFile, n int) (int, string) {
	if CountLayers(cfg.History) != n {
		return -1, ""
	}
	split, why := BaseFromHistory(cfg.History)
	if split < 0 {
		return -1, ""
	}
	return CountLayers(cfg.History[:split]), why
}

func isEndOfBase(createdBy string) bool {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimPrefix(s, "/bin/sh -c #(nop)")
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "CMD ") || strings.HasPrefix(s, "CMD[") || strings.HasPrefix(s, "ENTRYPOINT")
}

// CountLayers counts the history entries that made a layer (those not
// marked empty_layer).
func CountLayers(h []v1.History) int {
	n := 0
	for _, e := range h {
		if !e.EmptyLayer {
			n++
		}
	}
	return n
}
