package diff

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/whittle/whittle/pkg/account"
)

// compareLayers pairs the layers of the two images by chain ID: a layer
// of New whose chain ID Old holds is shared, the others are added, and
// Old's layers whose chain ID New does not hold are removed.
func compareLayers(old, new *account.Report) LayerChanges {
	lc := LayerChanges{Items: []LayerChange{}}
	oldChains := chainIDs(old.Layers)
	newChains := chainIDs(new.Layers)
	oldAt := map[string]int{}
	for i, c := range oldChains {
		if _, ok := oldAt[c]; !ok {
			oldAt[c] = i
		}
	}
	held := map[string]bool{}
	for _, c := range newChains {
		held[c] = true
	}
	// Old's removed layers by diff_id, for SameContentAs.
	removedByDiffID := map[string]int{}
	for i, l := range old.Layers {
		if _, ok := removedByDiffID[l.DiffID]; !held[oldChains[i]] && !ok {
			removedByDiffID[l.DiffID] = i
		}
	}
	for i, l := range new.Layers {
		c := LayerChange{OldIndex: -1, NewIndex: i, SameContentAs: -1, DiffID: l.DiffID, Digest: l.Digest,
			SizeBytes: l.SizeBytes, CompressedBytes: l.CompressedBytes, CreatedBy: l.CreatedBy}
		if k, ok := oldAt[newChains[i]]; ok {
			c.Change, c.OldIndex = Shared, k
			lc.Shared++
			lc.SharedBytes += l.SizeBytes
			lc.SharedCompressedBytes += l.CompressedBytes
		} else {
			c.Change = Added
			if k, ok := removedByDiffID[l.DiffID]; ok {
				c.SameContentAs = k
			}
			lc.Added++
			lc.AddedBytes += l.SizeBytes
			lc.AddedCompressedBytes += l.CompressedBytes
		}
		lc.Items = append(lc.Items, c)
	}
	for i, l := range old.Layers {
		if held[oldChains[i]] {
			continue
		}
		lc.Items = append(lc.Items, LayerChange{Change: Removed, OldIndex: i, NewIndex: -1, SameContentAs: -1, DiffID: l.DiffID,
			Digest: l.Digest, SizeBytes: l.SizeBytes, CompressedBytes: l.CompressedBytes, CreatedBy: l.CreatedBy})
		lc.Removed++
		lc.RemovedBytes += l.SizeBytes
		lc.RemovedCompressedBytes += l.CompressedBytes
	}
	return lc
}

// chainIDs returns the OCI ChainID of every layer: its diff_id on the
// chain ID of the layers below.
func chainIDs(layers []account.Layer) []string {
	out := make([]string, len(layers))
	chain := ""
	for i, l := range layers {
		if chain == "" {
			chain = l.DiffID
		} else {
			sum := sha256.Sum256([]byte(chain + " " + l.DiffID))
			chain = "sha256:" + hex.EncodeToString(sum[:])
		}
		out[i] = chain
	}
	return out
}
