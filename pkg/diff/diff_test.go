package diff

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/whittle/whittle/internal/synth"
	"github.com/whittle/whittle/pkg/account"
	"github.com/whittle/whittle/pkg/layer"
	"github.com/whittle/whittle/pkg/packages"
)

// stanza is a dpkg status stanza of an installed package.
func stanza(name, version string) string {
	return fmt.Sprintf("Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\nDescription: %s\n the package\n\n", name, version, name)
}

// list is a dpkg .list of the paths (absolute), the root first as dpkg
// writes it.
func list(paths ...string) string { return "/.\n" + strings.Join(paths, "\n") + "\n" }

func file(p string, size int64, seed uint64) synth.Entry {
	return synth.Entry{Kind: synth.KindFile, Path: p, Size: size, Seed: seed}
}

func modeFile(p string, size int64, seed uint64, mode int64) synth.Entry {
	e := file(p, size, seed)
	e.Mode = mode
	return e
}

// countingLayer counts how often a layer's content is opened.
type countingLayer struct {
	v1.Layer
	opened *atomic.Int64
}

func (l countingLayer) Compressed() (io.ReadCloser, error) {
	l.opened.Add(1)
	return l.Layer.Compressed()
}

func (l countingLayer) Uncompressed() (io.ReadCloser, error) {
	l.opened.Add(1)
	return l.Layer.Uncompressed()
}

// build makes an image of the layers, in order.
func build(t *testing.T, layers ...v1.Layer) v1.Image {
	t.Helper()
	img := empty.Image
	for i, l := range layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	return img
}

func mkLayer(t *testing.T, entries ...synth.Entry) v1.Layer {
	t.Helper()
	l, err := synth.NewLayer(synth.Layer{Entries: entries}, false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// ownedLayer is a layer of one regular file with the given owner.
func ownedLayer(t *testing.T, p string, content string, uid, gid int) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(content)), Uid: uid, Gid: gid}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(content))
	tw.Close()
	l, err := synth.CompressedLayer(buf.Bytes(), "gzip", false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fixture is a pair of images whose diff is known by construction: a
// shared base layer (read once), then OLD's one layer against NEW's two.
type fixture struct {
	old, new   v1.Image
	baseOpened *atomic.Int64
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	opened := &atomic.Int64{}
	base := countingLayer{mkLayer(t,
		synth.Dir("etc"), synth.Dir("usr"), synth.Dir("usr/bin"), synth.Dir("usr/lib"), synth.Dir("usr/share"),
		synth.Dir("app"), synth.Dir("var/lib/dpkg/info"),
		synth.File("etc/os-release", "ID=debian\n"),
		modeFile("usr/bin/tool", 1000, 1, 0o755),
		file("usr/lib/libfoo.so", 2000, 2),
		file("app/data", 5000, 3),
		synth.Symlink("app/link", "main"),
		synth.File("var/lib/dpkg/status", stanza("tool", "2.0")+stanza("libfoo", "1.0-1")),
		synth.File("var/lib/dpkg/info/tool.list", list("/usr", "/usr/bin", "/usr/bin/tool")),
		synth.File("var/lib/dpkg/info/libfoo.list", list("/usr", "/usr/lib", "/usr/lib/libfoo.so")),
	), opened}
	old := build(t, base,
		mkLayer(t,
			modeFile("app/main", 300, 4, 0o755),
			file("usr/lib/old.so", 700, 5),
			synth.File("var/lib/dpkg/status", stanza("tool", "2.0")+stanza("libfoo", "1.0-1")+stanza("oldpkg", "1")),
			synth.File("var/lib/dpkg/info/oldpkg.list", list("/usr/lib/old.so")),
			modeFile("etc/config", 100, 6, 0o644),
		),
		ownedLayer(t, "srv/owned", "data", 0, 0),
	)
	newImg := build(t, base,
		mkLayer(t,
			modeFile("app/main", 300, 40, 0o755), // same size, other content
			file("usr/lib/libfoo.so", 2600, 20),
			file("usr/lib/new.so", 400, 7),
			synth.Dir("usr/share/tool"),
			file("usr/share/tool/extra", 50, 8),
			synth.File("var/lib/dpkg/status", stanza("tool", "2.0")+stanza("libfoo", "1.2-1")+stanza("newpkg", "3")),
			synth.File("var/lib/dpkg/info/tool.list", list("/usr", "/usr/bin", "/usr/bin/tool", "/usr/share/tool", "/usr/share/tool/extra")),
			synth.File("var/lib/dpkg/info/newpkg.list", list("/usr/lib/new.so")),
			modeFile("etc/config", 100, 6, 0o600), // the same content, another mode
			synth.Symlink("app/link", "main2"),
		),
		mkLayer(t,
			synth.Whiteout("app/data"),
			synth.Hardlink("usr/bin/tool2", "usr/bin/tool"),
			synth.File("srv/new-dir/x", ""), // an empty file under a directory no entry names
		),
		ownedLayer(t, "srv/owned", "data", 1000, 1000),
	)
	return fixture{old: old, new: newImg, baseOpened: opened}
}

func TestDiff(t *testing.T) {
	fx := newFixture(t)
	rep, err := Diff(context.Background(), fx.old, fx.new, WithReferences("old.tar", "new.tar"), WithDepth(2))
	if err != nil {
		t.Fatal(err)
	}
	// The shared base layer is read once for both images.
	if n := fx.baseOpened.Load(); n != 1 {
		t.Errorf("the shared base layer was opened %d times, want 1", n)
	}
	if rep.SchemaVersion != SchemaVersion || rep.Old.Reference != "old.tar" || rep.New.Reference != "new.tar" {
		t.Errorf("header: %+v %+v", rep.Old, rep.New)
	}

	type pathWant struct {
		change string
		what   string
		delta  int64
	}
	want := map[string]pathWant{
		"/app/data":                      {Removed, "", -5000},
		"/app/main":                      {Changed, "content", 0},
		"/app/link":                      {Changed, "target", 0},
		"/etc/config":                    {Changed, "mode", 0},
		"/usr/lib/libfoo.so":             {Changed, "content", 600},
		"/usr/lib/old.so":                {Removed, "", -700},
		"/usr/lib/new.so":                {Added, "", 400},
		"/usr/share/tool":                {Added, "", 0},
		"/usr/share/tool/extra":          {Added, "", 50},
		"/usr/bin/tool2":                 {Added, "", 0},
		"/srv/new-dir":                   {Added, "", 0},
		"/srv/new-dir/x":                 {Added, "", 0},
		"/srv/owned":                     {Changed, "owner", 0},
		"/var/lib/dpkg/info/oldpkg.list": {Removed, "", 0},
		"/var/lib/dpkg/info/newpkg.list": {Added, "", 0},
		"/var/lib/dpkg/info/tool.list":   {Changed, "content", 0},
		"/var/lib/dpkg/status":           {Changed, "content", 0},
	}
	got := map[string]PathChange{}
	var sum int64
	for _, c := range rep.Paths.Items {
		got[c.Path] = c
		sum += c.DeltaBytes
	}
	for p, w := range want {
		c, ok := got[p]
		if !ok {
			t.Errorf("%s: not listed", p)
			continue
		}
		if c.Change != w.change || strings.Join(c.What, ",") != w.what {
			t.Errorf("%s: %s %v, want %s %s", p, c.Change, c.What, w.change, w.what)
		}
		// The .list and status files' sizes are whatever their text is.
		if !strings.HasPrefix(p, "/var/lib/dpkg/") && c.DeltaBytes != w.delta {
			t.Errorf("%s: delta %d, want %d", p, c.DeltaBytes, w.delta)
		}
	}
	for p, c := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s listed as %s %v: unchanged by construction", p, c.Change, c.What)
		}
	}
	// The byte changes of the paths add up to the change of visible bytes.
	if sum != rep.Change.VisibleBytes {
		t.Errorf("path deltas sum to %d, visible bytes changed by %d", sum, rep.Change.VisibleBytes)
	}
	if d := rep.Change.VisibleBytes; d != rep.New.VisibleBytes-rep.Old.VisibleBytes {
		t.Errorf("change %d is not new - old", d)
	}
	if p := rep.Paths; p.AddedBytes-p.RemovedBytes+p.ChangedNewBytes-p.ChangedOldBytes != rep.Change.VisibleBytes {
		t.Errorf("summary does not add up: %+v", p)
	}

	// What each side holds.
	tool2 := got["/usr/bin/tool2"].New
	if tool2 == nil || tool2.HardLinkOf != "/usr/bin/tool" || tool2.Size != 1000 || tool2.Bytes != 0 || tool2.Mode != "0755" {
		t.Errorf("the hard link: %+v", tool2)
	}
	if cfg := got["/etc/config"]; cfg.Old.Mode != "0644" || cfg.New.Mode != "0600" {
		t.Errorf("mode change: %+v -> %+v", cfg.Old, cfg.New)
	}
	if l := got["/app/link"]; l.Old.Target != "main" || l.New.Target != "main2" || l.New.Type != TypeSymlink {
		t.Errorf("link: %+v -> %+v", l.Old, l.New)
	}
	if d := got["/srv/new-dir"].New; d == nil || d.Type != TypeDir || d.Mode != "" {
		t.Errorf("a directory no entry names: %+v", d)
	}
	if o := got["/srv/owned"]; o.Old.UID != 0 || o.New.UID != 1000 || o.New.GID != 1000 {
		t.Errorf("owner: %+v -> %+v", o.Old, o.New)
	}
	if m := got["/app/main"]; m.Old.Digest == m.New.Digest || !strings.HasPrefix(m.New.Digest, "xxh3-128:") || m.Old.Size != m.New.Size {
		t.Errorf("content: %+v -> %+v", m.Old, m.New)
	}
	// Biggest change first.
	if rep.Paths.Items[0].Path != "/app/data" {
		t.Errorf("first path %s, want /app/data", rep.Paths.Items[0].Path)
	}

	// Directories at depth 2.
	dirs := map[string]DirChange{}
	for _, d := range rep.Directories.Items {
		dirs[d.Dir] = d
	}
	if rep.Directories.Depth != 2 || rep.Directories.Items[0].Dir != "/app" {
		t.Errorf("directories: depth %d, first %+v", rep.Directories.Depth, rep.Directories.Items[0])
	}
	if d := dirs["/app"]; d.Removed != 1 || d.Changed != 2 || d.OldBytes != 5300 || d.NewBytes != 300 || d.DeltaBytes != -5000 {
		t.Errorf("/app: %+v", d)
	}
	if d := dirs["/usr/lib"]; d.Added != 1 || d.AddedBytes != 400 || d.Removed != 1 || d.RemovedBytes != 700 || d.Changed != 1 ||
		d.OldBytes != 2700 || d.NewBytes != 3000 || d.DeltaBytes != 300 {
		t.Errorf("/usr/lib: %+v", d)
	}
	if d := dirs["/usr/share"]; d.Added != 2 || d.AddedBytes != 50 {
		t.Errorf("/usr/share: %+v", d)
	}
	if d := dirs["/usr/bin"]; d.Added != 1 || d.AddedBytes != 0 || d.DeltaBytes != 0 {
		t.Errorf("/usr/bin: %+v", d)
	}
	if _, ok := dirs["/etc"]; !ok {
		t.Error("/etc (a mode change) not listed")
	}

	// Packages.
	pk := map[string]PackageChange{}
	for _, p := range rep.Packages.Items {
		pk[p.Name] = p
	}
	for name, w := range map[string]struct {
		change             string
		oldV, newV         string
		oldBytes, newBytes int64
	}{
		"libfoo": {Upgraded, "1.0-1", "1.2-1", 2000, 2600},
		"oldpkg": {Removed, "1", "", 700, 0},
		"newpkg": {Added, "", "3", 0, 400},
		"tool":   {Grown, "2.0", "2.0", 1000, 1050},
	} {
		p, ok := pk[name]
		if !ok {
			t.Errorf("package %s not listed", name)
			continue
		}
		if p.Change != w.change || p.OldVersion != w.oldV || p.NewVersion != w.newV || p.OldBytes != w.oldBytes || p.NewBytes != w.newBytes ||
			p.DeltaBytes != w.newBytes-w.oldBytes || p.Manager != packages.Dpkg || p.Architecture != "amd64" {
			t.Errorf("package %s: %+v", name, p)
		}
	}
	if len(pk) != 4 {
		t.Errorf("%d packages listed, want 4: %+v", len(pk), rep.Packages.Items)
	}
	if pk["libfoo"].Layer != 1 || pk["libfoo"].CreatedBy != "RUN step 1" || pk["oldpkg"].Layer != 1 {
		t.Errorf("installing layers: %+v %+v", pk["libfoo"], pk["oldpkg"])
	}
	if !rep.Packages.Old.Complete || !rep.Packages.New.Complete || rep.Packages.Old.Packages != 3 || rep.Packages.New.Packages != 3 {
		t.Errorf("package sides: %+v %+v", rep.Packages.Old, rep.Packages.New)
	}
	if s := rep.Packages.New; s.Bytes+s.UnownedBytes != rep.New.VisibleBytes {
		t.Errorf("new: package %d + unowned %d != visible %d", s.Bytes, s.UnownedBytes, rep.New.VisibleBytes)
	}
	unowned := map[string]UnownedChange{}
	for _, u := range rep.Packages.Unowned {
		unowned[u.Dir] = u
	}
	if u := unowned["/app"]; u.OldBytes != 5300 || u.NewBytes != 300 {
		t.Errorf("unowned /app: %+v", u)
	}

	// Layers: the base shared, OLD's two others removed, NEW's three
	// others added.
	lc := rep.Layers
	if lc.Shared != 1 || lc.Added != 3 || lc.Removed != 2 || len(lc.Items) != 6 {
		t.Fatalf("layers: %+v", lc)
	}
	if it := lc.Items[0]; it.Change != Shared || it.OldIndex != 0 || it.NewIndex != 0 {
		t.Errorf("base layer: %+v", it)
	}
	if it := lc.Items[4]; it.Change != Removed || it.OldIndex != 1 || it.NewIndex != -1 {
		t.Errorf("first removed layer: %+v", it)
	}
	if rep.Old.LayerCount != 3 || rep.New.LayerCount != 4 || rep.Change.LayerCount != 1 {
		t.Errorf("layer counts: %d %d %d", rep.Old.LayerCount, rep.New.LayerCount, rep.Change.LayerCount)
	}
	if lc.SharedBytes+lc.AddedBytes != rep.New.SizeBytes || lc.SharedBytes+lc.RemovedBytes != rep.Old.SizeBytes {
		t.Errorf("layer bytes do not add up: %+v, sizes %d %d", lc, rep.Old.SizeBytes, rep.New.SizeBytes)
	}
	if lc.SharedCompressedBytes+lc.AddedCompressedBytes != rep.New.CompressedBytes {
		t.Errorf("compressed layer bytes do not add up: %+v, %d", lc, rep.New.CompressedBytes)
	}
}

// TestDiffEqualsTwoAnalyses: reading shared layers once changes nothing:
// the report equals the comparison of the two images analyzed apart.
func TestDiffEqualsTwoAnalyses(t *testing.T) {
	fx := newFixture(t)
	for _, jobs := range []int{1, 4} {
		rep, err := Diff(context.Background(), fx.old, fx.new, WithJobs(jobs))
		if err != nil {
			t.Fatal(err)
		}
		var accounts [2]*account.Report
		for k, img := range []v1.Image{fx.old, fx.new} {
			opts := append([]account.Option{account.WithVisiblePaths(true), account.WithDive(false)}, packages.AnalyzeOptions()...)
			if accounts[k], err = account.Analyze(context.Background(), img, opts...); err != nil {
				t.Fatal(err)
			}
		}
		apart, err := Compare(accounts[0], accounts[1], DefaultDepth)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep, apart) {
			t.Errorf("jobs %d: the diff differs from the comparison of two analyses", jobs)
		}
		// And the figures are analyze's.
		if rep.New.VisibleBytes != accounts[1].Image.VisibleBytes || rep.Old.SizeBytes != accounts[0].Image.SizeBytes {
			t.Errorf("figures differ from analyze's")
		}
	}
}

// TestDiffSameImage: an image against itself has no change, and its
// layers are read once.
func TestDiffSameImage(t *testing.T) {
	fx := newFixture(t)
	rep, err := Diff(context.Background(), fx.new, fx.new)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Paths.Items) != 0 || len(rep.Directories.Items) != 0 || len(rep.Packages.Items) != 0 || len(rep.Packages.Unowned) != 0 {
		t.Errorf("changes in an image against itself: %+v", rep.Paths.Items)
	}
	if rep.Change != (Figures{}) || rep.Layers.Added != 0 || rep.Layers.Removed != 0 || rep.Layers.Shared != 4 {
		t.Errorf("figures: %+v, layers %+v", rep.Change, rep.Layers)
	}
	if rep.Paths.Unchanged == 0 || rep.Paths.UnchangedBytes != rep.New.VisibleBytes {
		t.Errorf("unchanged: %d paths, %d bytes (visible %d)", rep.Paths.Unchanged, rep.Paths.UnchangedBytes, rep.New.VisibleBytes)
	}
	if n := fx.baseOpened.Load(); n != 1 {
		t.Errorf("the base layer was opened %d times, want 1", n)
	}
}

// TestDiffRebuiltLayer: a layer with the same content on another base is
// added, with the removed layer of the same content named.
func TestDiffRebuiltLayer(t *testing.T) {
	app := mkLayer(t, file("app/bin", 100, 1))
	old := build(t, mkLayer(t, synth.File("etc/os-release", "1\n")), app)
	newImg := build(t, mkLayer(t, synth.File("etc/os-release", "2\n")), app)
	rep, err := Diff(context.Background(), old, newImg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Layers.Shared != 0 || rep.Layers.Added != 2 || rep.Layers.Removed != 2 {
		t.Fatalf("layers: %+v", rep.Layers)
	}
	if it := rep.Layers.Items[1]; it.Change != Added || it.SameContentAs != 1 {
		t.Errorf("the rebuilt app layer: %+v", it)
	}
	if it := rep.Layers.Items[0]; it.SameContentAs != -1 {
		t.Errorf("the new base: %+v", it)
	}
	if len(rep.Paths.Items) != 1 || rep.Paths.Items[0].Path != "/etc/os-release" {
		t.Errorf("paths: %+v", rep.Paths.Items)
	}
}

// TestDiffTypeChange: a file that becomes a directory, and a directory
// that becomes a symbolic link (usrmerge).
func TestDiffTypeChange(t *testing.T) {
	old := build(t, mkLayer(t, synth.Dir("bin"), file("bin/sh", 10, 1), file("x", 5, 2)))
	newImg := build(t, mkLayer(t, synth.Dir("usr/bin"), file("usr/bin/sh", 10, 1), synth.Symlink("bin", "usr/bin"), synth.Dir("x"), file("x/y", 3, 3)))
	rep, err := Diff(context.Background(), old, newImg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range rep.Paths.Items {
		got[c.Path] = c.Change + " " + strings.Join(c.What, ",")
	}
	for p, w := range map[string]string{
		"/bin": "changed type", "/bin/sh": "removed ", "/usr/bin/sh": "added ", "/x": "changed type", "/x/y": "added ",
	} {
		if got[p] != w {
			t.Errorf("%s: %q, want %q", p, got[p], w)
		}
	}
	if x := rep.Paths.Items; rep.Change.VisibleBytes != 3+10-10-5 {
		t.Errorf("visible change %d: %+v", rep.Change.VisibleBytes, x)
	}
}

func TestDiffErrorNamesTheImage(t *testing.T) {
	fx := newFixture(t)
	good := mkLayer(t, file("a", 10, 1))
	raw, err := synth.TarBytes([]synth.Entry{file("b", 10, 1)})
	if err != nil {
		t.Fatal(err)
	}
	// A layer whose content does not match its diff_id.
	bad := synth.RawLayer(raw, "application/vnd.docker.image.rootfs.diff.tar", synth.Digest([]byte("other")), synth.Digest(raw))
	broken := build(t, good, bad)
	for _, tc := range []struct {
		old, new v1.Image
		which    string
	}{{fx.old, broken, "new"}, {broken, fx.new, "old"}} {
		_, err := Diff(context.Background(), tc.old, tc.new, WithReferences("o.tar", "n.tar"))
		var ie *ImageError
		if !errors.As(err, &ie) || ie.Which != tc.which {
			t.Errorf("error %v: want one naming the %s image", err, tc.which)
			continue
		}
		var dm *layer.DigestMismatchError
		if !errors.As(err, &dm) {
			t.Errorf("error %v: want a digest mismatch", err)
		}
		if want := "reading the " + tc.which + " image "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q does not start with %q", err, want)
		}
	}
}

func TestOptions(t *testing.T) {
	fx := newFixture(t)
	for _, opt := range []Option{WithJobs(0), WithDepth(0)} {
		if _, err := Diff(context.Background(), fx.old, fx.new, opt); err == nil {
			t.Error("a bad option was accepted")
		}
	}
	var last Progress
	calls := 0
	if _, err := Diff(context.Background(), fx.old, fx.new, WithProgress(func(p Progress) { last = p; calls++ })); err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Layers != 7 || last.LayersDone != 7 || calls < 2 {
		t.Errorf("last progress %+v after %d calls", last, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Diff(ctx, fx.old, fx.new); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if _, err := Compare(&account.Report{}, &account.Report{}, 1); err == nil {
		t.Error("Compare accepted accounts without visible paths")
	}
}

func TestRollUp(t *testing.T) {
	for _, tc := range []struct {
		p     string
		depth int
		want  string
	}{
		{"x", 3, "/"},
		{"etc/passwd", 3, "/etc"},
		{"usr/lib/x86_64-linux-gnu/libc.so.6", 2, "/usr/lib"},
		{"usr/lib/x86_64-linux-gnu/libc.so.6", 3, "/usr/lib/x86_64-linux-gnu"},
		{"usr/lib/x86_64-linux-gnu/libc.so.6", 9, "/usr/lib/x86_64-linux-gnu"},
		{"a/b/c/d", 1, "/a"},
	} {
		if got := rollUp(tc.p, tc.depth); got != tc.want {
			t.Errorf("rollUp(%q, %d) = %q, want %q", tc.p, tc.depth, got, tc.want)
		}
	}
}

// allocated runs Diff of two images and returns the bytes it allocated.
func allocated(t *testing.T, old, new v1.Image) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := Diff(context.Background(), old, new, WithJobs(1)); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDiffMemoryBoundedByPaths counts the bytes Diff allocates: they do
// not grow with the files' content (streamed, hashed, never held), and
// grow with the number of paths about linearly.
func TestDiffMemoryBoundedByPaths(t *testing.T) {
	pair := func(files int, size int64) (v1.Image, v1.Image) {
		var a, b []synth.Entry
		for i := range files {
			a = append(a, file(fmt.Sprintf("d%d/f%d", i%10, i), size, uint64(i)))
			b = append(b, file(fmt.Sprintf("d%d/f%d", i%10, i), size, uint64(i+files)))
		}
		return build(t, mkLayer(t, a...)), build(t, mkLayer(t, b...))
	}
	measure := func(old, new v1.Image) uint64 { return allocated(t, old, new) }
	small := measure(pair(4, 1<<10))
	big := measure(pair(4, 16<<20)) // 64 MiB of content per image
	t.Logf("allocated: %d bytes (4 files of 1 KiB), %d (4 of 16 MiB)", small, big)
	if big > small+8<<20 {
		t.Errorf("Diff allocated %d bytes for 4 files of 16 MiB, %d for 4 of 1 KiB: it grows with content", big, small)
	}
	few := measure(pair(2000, 10))
	many := measure(pair(8000, 10))
	t.Logf("allocated: %d bytes (2,000 paths), %d (8,000 paths)", few, many)
	if many > 6*few {
		t.Errorf("Diff allocated %d bytes for 8,000 paths, %d for 2,000: more than linear", many, few)
	}
}
