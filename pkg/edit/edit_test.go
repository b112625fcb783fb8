package edit

import (
	"errors"
	"math/rand"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	src := "RUN apt-get install -y curl\n"
	tests := []struct {
		name  string
		edits []Edit
		want  string
	}{
		{"none", nil, src},
		{"insert flag", []Edit{Insert(19, " --no-install-recommends")},
			"RUN apt-get install --no-install-recommends -y curl\n"},
		{"append", []Edit{Insert(27, " && rm -rf /var/lib/apt/lists/*")},
			"RUN apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"},
		{"two inserts same offset keep order", []Edit{Insert(27, " && a"), Insert(27, " && b")},
			"RUN apt-get install -y curl && a && b\n"},
		{"insert before replace at same offset", []Edit{Replace(23, 27, "wget"), Insert(23, "x ")},
			"RUN apt-get install -y x wget\n"},
		{"insert at end of replace", []Edit{Insert(27, "!"), Replace(23, 27, "wget")},
			"RUN apt-get install -y wget!\n"},
		{"delete", []Edit{Delete(19, 22)}, "RUN apt-get install curl\n"},
		{"adjacent ranges", []Edit{Replace(0, 3, "run"), Replace(3, 4, "_")},
			"run_apt-get install -y curl\n"},
		{"whole", []Edit{Replace(0, len(src), "")}, ""},
		{"at end of file", []Edit{Insert(len(src), "CMD x\n")}, src + "CMD x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(src), tc.edits...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if want := naiveApply(src, tc.edits); string(got) != want {
				t.Errorf("oracle disagrees: %q vs %q", got, want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	src := []byte("0123456789")
	tests := []struct {
		name     string
		edits    []Edit
		conflict bool
	}{
		{"overlap", []Edit{Replace(1, 5, "x"), Replace(4, 6, "y")}, true},
		{"same range", []Edit{Delete(1, 5), Delete(1, 5)}, true},
		{"insert inside range", []Edit{Delete(1, 5), Insert(3, "x")}, true},
		{"range around insert", []Edit{Insert(3, "x"), Delete(1, 5)}, true},
		{"negative", []Edit{Insert(-1, "x")}, false},
		{"past end", []Edit{Delete(5, 11)}, false},
		{"reversed", []Edit{Delete(5, 4)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Apply(src, tc.edits...)
			var ce *ConflictError
			var re *RangeError
			switch {
			case tc.conflict && !errors.As(err, &ce):
				t.Errorf("want ConflictError, got %v", err)
			case !tc.conflict && !errors.As(err, &re):
				t.Errorf("want RangeError, got %v", err)
			}
		})
	}
}

func TestSetGroupIsAtomic(t *testing.T) {
	s := NewSet([]byte("abcdef"))
	if err := s.Add(Replace(0, 2, "X")); err != nil {
		t.Fatal(err)
	}
	// The second edit of the group conflicts: the first must not be kept.
	if err := s.Add(Insert(4, "Y"), Delete(1, 3)); err == nil {
		t.Fatal("want conflict")
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
	if got := string(s.Apply()); got != "Xcdef" {
		t.Errorf("got %q", got)
	}
	// A group conflicting with itself is refused too.
	if err := s.Add(Delete(3, 5), Delete(4, 6)); err == nil {
		t.Fatal("want conflict inside group")
	}
}

// naiveApply is an independent oracle: it applies edits from the last
// offset to the first on a string, so earlier offsets stay valid. Edits at
// the same offset are applied in reverse order of addition, insertions
// last, which puts them in front.
func naiveApply(src string, edits []Edit) string {
	type ix struct {
		Edit
		i int
	}
	var es []ix
	for i, e := range edits {
		es = append(es, ix{e, i})
	}
	// selection sort, descending: by Start, then ranges before insertions,
	// then later additions first.
	for i := range es {
		for j := i + 1; j < len(es); j++ {
			a, b := es[i], es[j]
			swap := false
			switch {
			case a.Start != b.Start:
				swap = b.Start > a.Start
			case a.IsInsert() != b.IsInsert():
				swap = a.IsInsert()
			default:
				swap = b.i > a.i
			}
			if swap {
				es[i], es[j] = es[j], es[i]
			}
		}
	}
	for _, e := range es {
		src = src[:e.Start] + e.Text + src[e.End:]
	}
	return src
}

func TestApplyRandomAgainstOracle(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		src := strings.Repeat("abcdefghij", 1+r.Intn(4))
		s := NewSet([]byte(src))
		var accepted []Edit
		for k := 0; k < 1+r.Intn(6); k++ {
			a := r.Intn(len(src) + 1)
			b := a
			if r.Intn(2) == 0 {
				b = a + r.Intn(len(src)-a+1)
			}
			e := Replace(a, b, strings.Repeat("X", r.Intn(3)))
			if s.Add(e) == nil {
				accepted = append(accepted, e)
			}
		}
		got := string(s.Apply())
		if want := naiveApply(src, accepted); got != want {
			t.Fatalf("src %q edits %v: got %q, want %q", src, accepted, got, want)
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add("RUN a \\\n  && b\n", 3, 5, "xy", 4, 4, "z")
	f.Add("", 0, 0, "", 0, 0, "")
	f.Fuzz(func(t *testing.T, src string, s1, e1 int, t1 string, s2, e2 int, t2 string) {
		edits := []Edit{Replace(s1, e1, t1), Replace(s2, e2, t2)}
		got, err := Apply([]byte(src), edits...)
		if err != nil {
			return
		}
		if want := naiveApply(src, edits); string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func TestOrigin(t *testing.T) {
	src := []byte("aaaa\nbbbb\ncccc\n")
	s := NewSet(src)
	if err := s.Add(Insert(4, " x"), Delete(5, 10), Replace(10, 11, "CC\nC")); err != nil {
		t.Fatal(err)
	}
	out := s.Apply()
	if string(out) != "aaaa x\nCC\nCccc\n" {
		t.Fatalf("out %q", out)
	}
	tests := []struct{ off, want int }{
		{0, 0},   // 'a'
		{4, 4},   // inside " x": start of the insertion
		{5, 4},   // 'x'
		{6, 4},   // '\n' after the insertion, from source offset 4
		{7, 10},  // inside the replacement text
		{11, 11}, // 'c' copied from offset 11
		{14, 14}, // final newline
	}
	for _, tc := range tests {
		if got := s.Origin(tc.off); got != tc.want {
			t.Errorf("Origin(%d) = %d, want %d", tc.off, got, tc.want)
		}
	}
	// Every output byte outside edits equals its origin byte.
	for i := range out {
		o := s.Origin(i)
		inside := false
		for _, e := range s.Edits() {
			if o == e.Start && (len(e.Text) > 0 || e.End > e.Start) {
				inside = true
			}
		}
		if !inside && out[i] != src[o] {
			t.Errorf("out[%d]=%q but src[%d]=%q", i, out[i], o, src[o])
		}
	}
}
