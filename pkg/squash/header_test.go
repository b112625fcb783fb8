package squash

import (
	"archive/tar"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// Every field of a tar header but its name comes back as read, for every
// field tar.Header has (a field added to it fails the test until it is
// kept), with the rare fields set and unset.
func TestEntryHeaderRoundTrip(t *testing.T) {
	mtime := time.Unix(1700000000, 123456789)
	full := &tar.Header{
		Typeflag: tar.TypeChar, Name: "dev/x", Linkname: "", Size: 0, Mode: 0o620,
		Uid: 1000, Gid: 5, Uname: "user", Gname: "tty", ModTime: mtime,
		AccessTime: mtime.Add(time.Hour), ChangeTime: mtime.Add(2 * time.Hour),
		Devmajor: 4, Devminor: 64,
		Xattrs:     map[string]string{"user.a": "1"},
		PAXRecords: map[string]string{"SCHILY.xattr.user.a": "1", "comment": "x"},
		Format:     tar.FormatPAX,
	}
	// Every exported field of tar.Header is set above (Linkname and Size
	// are zero for a device; a second case sets them).
	v := reflect.ValueOf(*full)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && v.Field(i).IsZero() && f.Name != "Linkname" && f.Name != "Size" {
			t.Fatalf("the test leaves tar.Header.%s unset", f.Name)
		}
	}
	plain := &tar.Header{Typeflag: tar.TypeSymlink, Name: "usr/bin/sh", Linkname: "dash", Size: 0, Mode: 0o777,
		Uname: "root", Gname: "root", ModTime: mtime, Format: tar.FormatUSTAR}
	reg := &tar.Header{Typeflag: tar.TypeReg, Name: "etc/hosts", Size: 123, Mode: 0o644, ModTime: mtime, Format: tar.FormatGNU}
	n := make(nameTable)
	for _, h := range []*tar.Header{full, plain, reg} {
		c := compactHeader(h, n)
		if (c.rare != nil) != (h == full) {
			t.Errorf("%s: rare block %v", h.Name, c.rare != nil)
		}
		got := c.tarHeader(h.Name)
		if !reflect.DeepEqual(got, h) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", h.Name, got, h)
		}
	}
	if len(n) != 3 { // user, tty, root
		t.Errorf("interned names: %v", n)
	}
	if got := unsafe.Sizeof(entryHeader{}); got > 128 {
		t.Errorf("entryHeader takes %d bytes, more than the 128 its doc says", got)
	}
}
