package squash

import (
	"archive/tar"
	"time"
)

// entryHeader is what squash keeps of an entry's tar header until the
// merged layer is written: every field it writes back, under the names of
// tar.Header's, and the fields most entries leave empty in a block of
// their own: 128 bytes per path where a copy of the tar.Header took 288
// (the name is the record's path). The maps of a PAX header are shared
// with the header read, as a copy of the header shared them.
type entryHeader struct {
	Typeflag byte
	Format   tar.Format
	Mode     int64
	Uid, Gid int
	Size     int64
	Linkname string
	Uname    string
	Gname    string
	ModTime  time.Time
	rare     *rareHeader // nil when every field of it is zero
}

// rareHeader holds the fields of a tar header that most layer entries
// leave empty.
type rareHeader struct {
	AccessTime, ChangeTime time.Time
	Devmajor, Devminor     int64
	Xattrs                 map[string]string //nolint:staticcheck // written back as read
	PAXRecords             map[string]string
}

// nameTable interns user and group names: a layer repeats a few of them for
// every entry, and the tar reader allocates each anew.
type nameTable map[string]string

func (n nameTable) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := n[s]; ok {
		return v
	}
	n[s] = s
	return s
}

// compactHeader keeps what squash writes back of h (all but its name).
func compactHeader(h *tar.Header, n nameTable) *entryHeader {
	c := &entryHeader{
		Typeflag: h.Typeflag, Format: h.Format, Mode: h.Mode, Uid: h.Uid, Gid: h.Gid,
		Size: h.Size, Linkname: h.Linkname, Uname: n.intern(h.Uname), Gname: n.intern(h.Gname),
		ModTime: h.ModTime,
	}
	if !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() || h.Devmajor != 0 || h.Devminor != 0 ||
		h.Xattrs != nil || h.PAXRecords != nil { //nolint:staticcheck // Xattrs is kept as read
		c.rare = &rareHeader{
			AccessTime: h.AccessTime, ChangeTime: h.ChangeTime, Devmajor: h.Devmajor, Devminor: h.Devminor,
			Xattrs: h.Xattrs, PAXRecords: h.PAXRecords, //nolint:staticcheck // kept as read
		}
	}
	return c
}

// tarHeader is the tar header of h under name.
func (h *entryHeader) tarHeader(name string) *tar.Header {
	t := &tar.Header{
		Typeflag: h.Typeflag, Name: name, Linkname: h.Linkname, Size: h.Size, Mode: h.Mode,
		Uid: h.Uid, Gid: h.Gid, Uname: h.Uname, Gname: h.Gname, ModTime: h.ModTime, Format: h.Format,
	}
	if r := h.rare; r != nil {
		t.AccessTime, t.ChangeTime, t.Devmajor, t.Devminor = r.AccessTime, r.ChangeTime, r.Devmajor, r.Devminor
		t.Xattrs, t.PAXRecords = r.Xattrs, r.PAXRecords //nolint:staticcheck // written back as read
	}
	return t
}
