package diff

import (
	"strconv"
	"strings"

	"github.com/whittle/whittle/pkg/packages"
)

// CompareVersions orders two versions of a package the way its package
// manager does: dpkg's rules for packages.Dpkg (epoch, upstream version,
// revision; "~" before anything, letters before other characters), apk's
// for packages.Apk (numbers, a letter, _alpha/_beta/_pre/_rc before the
// release and _cvs/_svn/_git/_hg/_p after it, -rN). It returns -1, 0 or 1.
// Other managers' versions compare as strings.
func CompareVersions(manager, a, b string) int {
	switch manager {
	case packages.Dpkg:
		return sign(compareDpkg(a, b))
	case packages.Apk:
		return compareApk(a, b)
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// compareDpkg compares Debian versions [epoch:]upstream[-revision].
func compareDpkg(a, b string) int {
	ae, au, ar := splitDpkg(a)
	be, bu, br := splitDpkg(b)
	if ae != be {
		if ae < be {
			return -1
		}
		return 1
	}
	if c := dpkgVerrev(au, bu); c != 0 {
		return c
	}
	return dpkgVerrev(ar, br)
}

// splitDpkg splits a Debian version into its epoch (0 when absent or not
// a number), upstream version and revision ("" when absent).
func splitDpkg(v string) (epoch uint64, upstream, revision string) {
	v = strings.TrimSpace(v)
	if e, rest, ok := strings.Cut(v, ":"); ok {
		epoch, _ = strconv.ParseUint(e, 10, 64)
		v = rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// dpkgOrder is the weight of a character in the non-digit parts of a
// Debian version: the end and digits 0, "~" below everything, letters by
// their code, anything else after every letter.
func dpkgOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// dpkgVerrev compares an upstream version or a revision as dpkg does:
// alternately a non-digit part, character by character, and a digit
// part, as a number.
func dpkgVerrev(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			if ac, bc := dpkgOrder(a, i), dpkgOrder(b, j); ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}

// The parts of an apk version, in the order they may come:
// 1.2.3a_rc1_p2-r4.
const (
	apkInvalid = iota - 1
	apkDigitOrZero
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkRevisionNo
	apkEnd
)

var (
	apkPreSuffixes  = []string{"alpha", "beta", "pre", "rc"}
	apkPostSuffixes = []string{"cvs", "svn", "git", "hg", "p"}
)

// apkVersion reads an apk version token by token.
type apkVersion struct {
	s   string
	typ int // the kind of the next token
}

// next reads the value of the next token, and finds the kind of the one
// after it.
func (v *apkVersion) next() int {
	if v.s == "" {
		v.typ = apkEnd
		return 0
	}
	val, i, after := 0, 0, apkInvalid
	switch v.typ {
	case apkDigitOrZero, apkDigit, apkSuffixNo, apkRevisionNo:
		if v.typ == apkDigitOrZero && v.s[0] == '0' {
			// Leading zeros: the more there are, the lower.
			for i < len(v.s) && v.s[i] == '0' {
				i++
			}
			val, after = -i, apkDigit
			break
		}
		for i < len(v.s) && isDigit(v.s[i]) {
			val = val*10 + int(v.s[i]-'0')
			i++
		}
	case apkLetter:
		val, i = int(v.s[0]), 1
	case apkSuffix:
		found := false
		for k, s := range apkPreSuffixes {
			if strings.HasPrefix(v.s, s) {
				val, i, found = k-len(apkPreSuffixes), len(s), true
				break
			}
		}
		if !found {
			for k, s := range apkPostSuffixes {
				if strings.HasPrefix(v.s, s) {
					val, i, found = k, len(s), true
					break
				}
			}
		}
		if !found {
			v.typ = apkInvalid
			return -1
		}
	default:
		v.typ = apkInvalid
		return -1
	}
	v.s = v.s[i:]
	switch {
	case v.s == "":
		v.typ = apkEnd
	case after != apkInvalid:
		v.typ = after
	default:
		v.kindOfNext()
	}
	return val
}

// kindOfNext finds the kind of the token at the start of v.s, which
// follows a token of kind v.typ, and consumes its separator.
func (v *apkVersion) kindOfNext() {
	n := apkInvalid
	c := v.s[0]
	switch {
	case (v.typ == apkDigit || v.typ == apkDigitOrZero) && c >= 'a' && c <= 'z':
		n = apkLetter
	case v.typ == apkLetter && isDigit(c):
		n = apkDigit
	case v.typ == apkSuffix && isDigit(c):
		n = apkSuffixNo
	default:
		switch c {
		case '.':
			n = apkDigitOrZero
		case '_':
			n = apkSuffix
		case '-':
			if len(v.s) > 1 && v.s[1] == 'r' {
				n = apkRevisionNo
				v.s = v.s[1:]
			}
		}
		v.s = v.s[1:]
	}
	if n < v.typ && !(n == apkDigitOrZero && v.typ == apkDigit ||
		n == apkSuffix && v.typ == apkSuffixNo ||
		n == apkDigit && v.typ == apkLetter) {
		n = apkInvalid
	}
	v.typ = n
}

// compareApk compares apk versions as apk-tools does.
func compareApk(a, b string) int {
	va, vb := apkVersion{s: a, typ: apkDigit}, apkVersion{s: b, typ: apkDigit}
	av, bv := 0, 0
	for va.typ == vb.typ && va.typ != apkEnd && va.typ != apkInvalid && av == bv {
		av, bv = va.next(), vb.next()
	}
	switch {
	case av < bv:
		return -1
	case av > bv:
		return 1
	case va.typ == vb.typ:
		return 0
	}
	// Equal so far: the longer is greater, unless what it has more of is
	// a pre-release suffix.
	if va.typ == apkSuffix {
		t := va
		if t.next() < 0 {
			return -1
		}
	}
	if vb.typ == apkSuffix {
		t := vb
		if t.next() < 0 {
			return 1
		}
	}
	switch {
	case va.typ > vb.typ:
		return -1
	case vb.typ > va.typ:
		return 1
	}
	return 0
}
