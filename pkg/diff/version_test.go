package diff

import (
	"testing"

	"github.com/whittle/whittle/pkg/packages"
)

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		manager, a, b string
		want          int
	}{
		// dpkg: epochs, revisions, "~" before anything, letters before
		// other characters, numbers as numbers.
		{packages.Dpkg, "1.0", "1.0", 0},
		{packages.Dpkg, "1.0-1", "1.2-1", -1},
		{packages.Dpkg, "1.10", "1.9", 1},
		{packages.Dpkg, "1.0~rc1", "1.0", -1},
		{packages.Dpkg, "1.0~~", "1.0~", -1},
		{packages.Dpkg, "1.0", "1.0+b1", -1},
		{packages.Dpkg, "1.0a", "1.0+", -1},
		{packages.Dpkg, "1:0.9", "2.0", 1},
		{packages.Dpkg, "2.36-9+deb12u4", "2.36-9+deb12u10", -1},
		{packages.Dpkg, "7.88.1-10+deb12u5", "7.88.1-10+deb12u5", 0},
		{packages.Dpkg, "1.0-1", "1.0-1.1", -1},
		{packages.Dpkg, "01.0", "1.0", 0},
		{packages.Dpkg, "1.0", "1.0-0", 0},
		// apk: suffixes before and after the release, letters, -rN,
		// leading zeros.
		{packages.Apk, "1.2.3-r0", "1.2.3-r1", -1},
		{packages.Apk, "1.2.3", "1.2.3-r0", -1},
		{packages.Apk, "1.2_rc1", "1.2", -1},
		{packages.Apk, "1.0_alpha", "1.0_beta", -1},
		{packages.Apk, "1.0", "1.0_p1", -1},
		{packages.Apk, "1.0_p1", "1.0_p2", -1},
		{packages.Apk, "1.2", "1.10", -1},
		{packages.Apk, "1.2a", "1.2b", -1},
		{packages.Apk, "1.2", "1.2a", -1},
		{packages.Apk, "1.0", "1.0.1", -1},
		{packages.Apk, "1.01", "1.1", -1},
		{packages.Apk, "3.1.4-r5", "3.1.4-r5", 0},
		{packages.Apk, "2.6.10-r0", "2.6.9-r3", 1},
		{packages.Apk, "1.36.1-r15", "1.36.1-r2", 1},
		// Others: as strings.
		{"rpm", "1.0", "1.1", -1},
	} {
		if got := CompareVersions(tc.manager, tc.a, tc.b); got != tc.want {
			t.Errorf("%s: CompareVersions(%q, %q) = %d, want %d", tc.manager, tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.manager, tc.b, tc.a); got != -tc.want {
			t.Errorf("%s: CompareVersions(%q, %q) = %d, want %d", tc.manager, tc.b, tc.a, got, -tc.want)
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range []string{"1.0-1", "1:2.3~rc1-4+b1", "1.2.3_rc1-r2", "1.0a_p3", "0.0.0", ""} {
		f.Add(s, s+"1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, m := range []string{packages.Dpkg, packages.Apk} {
			if x, y := CompareVersions(m, a, b), CompareVersions(m, b, a); x != -y {
				t.Errorf("%s: %q vs %q: %d, reversed %d", m, a, b, x, y)
			}
			if CompareVersions(m, a, a) != 0 {
				t.Errorf("%s: %q is not equal to itself", m, a)
			}
		}
	})
}
