package squash

import (
	"archive/tar"
	"fmt"
	"io"
)

// spoolWindow is the most the spool reader reads at once.
const spoolWindow = 1 << 20

// spoolReader serves the merged layer's content from the spool. The
// records are written in path order and their content was spooled in
// reading order, which is mostly the same order within a directory: one
// read covers a run of records whose content lies back to back in the
// spool (up to spoolWindow), instead of one read per file, and one buffer
// serves every read.
type spoolReader struct {
	r   io.ReaderAt
	buf []byte
	off int64 // spool offset of buf[0]
	n   int   // bytes of buf read
}

func newSpoolReader(r io.ReaderAt) *spoolReader {
	return &spoolReader{r: r, buf: make([]byte, spoolWindow)}
}

// contentSize is the number of content bytes r's entry takes in the spool.
func contentSize(r *record) int64 {
	if r.marker != "" || r.hdr == nil || r.hdr.Typeflag != tar.TypeReg {
		return 0
	}
	return r.hdr.Size
}

// copy writes the content of recs[i] to w, reading ahead the content of
// the records after it that continues it in the spool.
func (s *spoolReader) copy(w io.Writer, recs []*record, i int) error {
	r := recs[i]
	off, size := r.off, contentSize(r)
	if off >= s.off && off+size <= s.off+int64(s.n) {
		_, err := w.Write(s.buf[off-s.off : off-s.off+size])
		return err
	}
	s.n = 0
	if size > spoolWindow {
		for size > 0 {
			k := min(size, spoolWindow)
			if err := s.read(s.buf[:k], off); err != nil {
				return err
			}
			if _, err := w.Write(s.buf[:k]); err != nil {
				return err
			}
			off, size = off+k, size-k
		}
		return nil
	}
	end := off + size
	for _, next := range recs[i+1 : min(len(recs), i+1+4096)] {
		ns := contentSize(next)
		if ns == 0 {
			continue
		}
		if next.off != end || end+ns-off > spoolWindow {
			break
		}
		end += ns
	}
	if err := s.read(s.buf[:end-off], off); err != nil {
		return err
	}
	s.off, s.n = off, int(end-off)
	_, err := w.Write(s.buf[:size])
	return err
}

func (s *spoolReader) read(p []byte, off int64) error {
	n, err := s.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading spool at %d: %w", off, err)
}
