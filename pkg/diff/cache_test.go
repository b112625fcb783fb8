package diff

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle/whittle/pkg/layercache"
)

// TestDiffLayerCache: the diff is the same with no cache, a cold one and
// a warm one; the warm run opens no layer.
func TestDiffLayerCache(t *testing.T) {
	fx := newFixture(t)
	want, err := Diff(context.Background(), fx.old, fx.new)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		c, err := layercache.Open(dir, layercache.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fx.baseOpened.Store(0)
		got, err := Diff(context.Background(), fx.old, fx.new, WithLayerCache(c))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("run %d: the diff differs from the one without a cache", run)
		}
		if s := c.Stats(); run == 1 && (s.Written != 0 || s.Found == 0) {
			t.Errorf("warm run: %+v", s)
		}
		if run == 1 && fx.baseOpened.Load() != 0 {
			t.Errorf("the warm run opened the base layer %d times", fx.baseOpened.Load())
		}
	}
	if _, err := Diff(context.Background(), fx.old, fx.new, WithLayerCache(nil)); err == nil {
		t.Error("a nil cache was accepted")
	}
}
