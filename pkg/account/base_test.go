package account

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestBaseLayers(t *testing.T) {
	cmd := v1.History{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true}
	layer := func(s string) v1.History { return v1.History{CreatedBy: s} }
	for _, tc := range []struct {
		name string
		h    []v1.History
		n    int
		want int
	}{
		{"base CMD then own layers", []v1.History{layer("ADD rootfs"), cmd, layer("RUN a"), layer("RUN b")}, 3, 1},
		{"stacked bases: the last counts", []v1.History{layer("ADD rootfs"), cmd, layer("RUN python"), cmd, layer("COPY app")}, 3, 2},
		{"own CMD last: not a base", []v1.History{layer("ADD rootfs"), layer("RUN a"), cmd}, 2, -1},
		{"docker import", []v1.History{{Comment: "Imported from -"}, layer("RUN a")}, 2, 1},
		{"no history", nil, 2, -1},
		{"history of another number of layers", []v1.History{layer("ADD rootfs"), cmd, layer("RUN a")}, 3, -1},
	} {
		cfg := &v1.ConfigFile{History: tc.h}
		if got, why := BaseLayers(cfg, tc.n); got != tc.want || (got >= 0) != (why != "") {
			t.Errorf("%s: %d (%q), want %d", tc.name, got, why, tc.want)
		}
	}
}

func TestPathUnder(t *testing.T) {
	for _, tc := range []struct {
		p, pattern string
		want       bool
	}{
		{"tmp/a.tgz", "tmp/a.tgz", true},
		{"tmp/a.tgz/x", "tmp/a.tgz", true},
		{"tmp/a.tgzz", "tmp/a.tgz", false},
		{"tmp", "tmp/a.tgz", false},
		{"var/lib/gems/3.1.0/doc/rails/ri/x", "var/lib/gems/*/doc", true},
		{"var/lib/gems/3.1.0/doc", "var/lib/gems/*/doc", true},
		{"var/lib/gems/3.1.0/gems/rails", "var/lib/gems/*/doc", false},
		{"var/lib/gems/doc", "var/lib/gems/*/doc", false},
		{"/abs/x", "/abs", true},
		{"anything", "", true},
		{"anything", "/", true},
		{"a/b", "a/[", false}, // a bad pattern matches nothing
	} {
		if got := PathUnder(tc.p, tc.pattern); got != tc.want {
			t.Errorf("PathUnder(%q, %q) = %v, want %v", tc.p, tc.pattern, got, tc.want)
		}
	}
}
