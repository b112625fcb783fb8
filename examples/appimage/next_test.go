package appimage

import "testing"

// TestNextSharesTheBase: the next release keeps the base layer byte for
// byte, and the layers whose steps did not change keep their content.
func TestNextSharesTheBase(t *testing.T) {
	img, err := Image()
	if err != nil {
		t.Fatal(err)
	}
	next, err := NextImage()
	if err != nil {
		t.Fatal(err)
	}
	a, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	b, err := next.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%d and %d layers", len(a), len(b))
	}
	for i := range a {
		da, _ := a[i].DiffID()
		db, _ := b[i].DiffID()
		same := i == 0 || i == 2 || i == 3 || i == 6
		if (da == db) != same {
			t.Errorf("layer %d: same content %v, want %v", i, da == db, same)
		}
	}
}
