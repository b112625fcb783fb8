package squash

import (
	"archive/tar"
	"bytes"
	"errors"
	"math/rand"
	"testing"
)

// countingReaderAt counts the reads of a spool.
type countingReaderAt struct {
	*bytes.Reader
	reads int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	return c.Reader.ReadAt(p, off)
}

// TestSpoolReader writes records of every size (empty, small, up to and
// beyond the window), back to back in the spool or not, with entries
// without content between them: each record gets exactly its bytes, and a
// run of back-to-back files costs one read.
func TestSpoolReader(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	spool := text(3, 6<<20)
	var recs []*record
	var want bytes.Buffer
	off := int64(0)
	for len(recs) < 1500 {
		size := int64(rng.Intn(4096))
		switch rng.Intn(100) {
		case 0:
			size = spoolWindow - 10 + int64(rng.Intn(20))
		case 1:
			size = spoolWindow + 5 + int64(rng.Intn(spoolWindow))
		case 2:
			size = 0
		}
		if rng.Intn(5) == 0 { // not where the last one ended
			off = int64(rng.Intn(len(spool) - 2*spoolWindow - 10))
		}
		if off+size > int64(len(spool)) {
			off = 0
		}
		recs = append(recs, &record{path: "f", hdr: &entryHeader{Typeflag: tar.TypeReg, Size: size}, off: off})
		want.Write(spool[off : off+size])
		off += size
		if rng.Intn(4) == 0 {
			recs = append(recs, &record{path: "d", hdr: &entryHeader{Typeflag: tar.TypeDir}}, &record{path: "w", marker: "wh"})
		}
	}
	cr := &countingReaderAt{Reader: bytes.NewReader(spool)}
	sr := newSpoolReader(cr)
	var got bytes.Buffer
	for i, r := range recs {
		if contentSize(r) == 0 {
			continue
		}
		if err := sr.copy(&got, recs, i); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("spool reader wrote %d bytes, want %d (or other bytes)", got.Len(), want.Len())
	}
	if cr.reads >= len(recs)/2 {
		t.Errorf("%d reads for %d records", cr.reads, len(recs))
	}
	// A spool shorter than a record says so.
	short := newSpoolReader(bytes.NewReader(spool[:100]))
	if err := short.copy(&got, []*record{{hdr: &entryHeader{Typeflag: tar.TypeReg, Size: 200}}}, 0); err == nil {
		t.Errorf("short spool read without error")
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct {
	bytes.Buffer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.Len()+len(p) > f.n {
		return 0, errors.New("disk full")
	}
	return f.Buffer.Write(p)
}

// TestSpoolWriter: what is written by Write and ReadFrom arrives in order;
// an error of the file stops later writes and Flush returns it.
func TestSpoolWriter(t *testing.T) {
	in := text(5, 3*spoolBuffer+777)
	var out bytes.Buffer
	w := newSpoolWriter(&out)
	if _, err := w.Write(in[:1000]); err != nil {
		t.Fatal(err)
	}
	if n, err := w.ReadFrom(bytes.NewReader(in[1000 : 2*spoolBuffer])); err != nil || n != 2*spoolBuffer-1000 {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	if _, err := w.Write(in[2*spoolBuffer:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if !bytes.Equal(out.Bytes(), in) {
		t.Fatalf("spool holds %d bytes, want %d (or other bytes)", out.Len(), len(in))
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("write after Flush accepted")
	}

	fw := &failingWriter{n: spoolBuffer + 10}
	w = newSpoolWriter(fw)
	defer w.Close()
	var err error
	for i := 0; i < 8 && err == nil; i++ {
		_, err = w.Write(in[:spoolBuffer])
	}
	if err == nil || err.Error() != "disk full" {
		t.Errorf("writes after a failed one: %v", err)
	}
	if err := w.Flush(); err == nil || err.Error() != "disk full" {
		t.Errorf("Flush: %v", err)
	}
}
