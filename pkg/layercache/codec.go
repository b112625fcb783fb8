package layercache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/xxh3"

	"github.com/whittle/whittle/pkg/fstree"
	"github.com/whittle/whittle/pkg/layer"
)

// An entry file is a fixed header followed by the zstd-compressed body:
//
//	magic      8 bytes  "WHLAYER\x00"
//	version    uint32   Version (little endian, as every fixed field)
//	flags      uint32   0
//	length     uint64   length of the compressed body
//	diff_id    32 bytes the raw sha256
//	checksum   16 bytes XXH3-128 of the header before it and of the body
//	body       length bytes
//
// The body is a sequence of unsigned (u) and signed (s) varints, strings
// (u length, then bytes) and bytes: see encodeBody.
const (
	magic      = "WHLAYER\x00"
	headerSize = 8 + 4 + 4 + 8 + 32 + 16
	endMark    = 0xe5
)

// errCorrupt is what decode returns for any entry it cannot trust.
var errCorrupt = errors.New("corrupt cache entry")

// encode returns the file content of e.
func encode(e *Entry) ([]byte, error) {
	raw, err := hex.DecodeString(e.DiffID.Hex)
	if err != nil || e.DiffID.Algorithm != "sha256" || len(raw) != 32 {
		return nil, fmt.Errorf("invalid diff_id %q", e.DiffID)
	}
	var body bytes.Buffer
	body.Write(make([]byte, headerSize))
	zw, err := zstd.NewWriter(&body, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(zw, 1<<16)
	encodeBody(bw, e)
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	b := body.Bytes()
	copy(b, magic)
	binary.LittleEndian.PutUint32(b[8:], Version)
	binary.LittleEndian.PutUint32(b[12:], 0)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(b)-headerSize))
	copy(b[24:56], raw)
	sum := checksum(b)
	copy(b[56:72], sum[:])
	return b, nil
}

// checksum is the XXH3-128 of an entry file but its checksum field.
func checksum(b []byte) [16]byte {
	h := xxh3.New()
	h.Write(b[:56])
	h.Write(b[headerSize:])
	return h.Sum128().Bytes()
}

type writer struct {
	*bufio.Writer
	tmp [binary.MaxVarintLen64]byte
}

func (w *writer) u(v uint64) { w.Write(w.tmp[:binary.PutUvarint(w.tmp[:], v)]) }
func (w *writer) s(v int64)  { w.Write(w.tmp[:binary.PutVarint(w.tmp[:], v)]) }
func (w *writer) str(s string) {
	w.u(uint64(len(s)))
	w.WriteString(s)
}
func (w *writer) bytes(b []byte) {
	w.u(uint64(len(b)))
	w.Write(b)
}

// encodeBody writes e's body; errors are the buffered writer's, reported
// by its Flush.
func encodeBody(bw *bufio.Writer, e *Entry) {
	w := &writer{Writer: bw}
	w.s(e.UncompressedSize)
	w.s(e.Entries)
	w.u(b2u(e.Hashed))
	w.u(uint64(len(e.Records)))
	for k, r := range e.Records {
		w.WriteByte(byte(r.Type))
		w.u(b2u(r.Hashed))
		w.str(r.Path)
		w.str(r.Link)
		w.s(r.Size)
		w.s(r.Mode)
		var o Owner
		if k < len(e.Owners) {
			o = e.Owners[k]
		}
		w.s(o.UID)
		w.s(o.GID)
		if r.Hashed {
			w.Write(r.Hash[:])
		}
	}
	w.u(uint64(len(e.Blobs)))
	for _, b := range e.Blobs {
		w.str(b.Digest.String())
		w.s(b.Size)
		w.str(string(b.Compression))
		w.u(math.Float64bits(b.Limits.MaxRatio))
		w.s(b.Limits.RatioFloor)
		w.s(b.Limits.MaxBytes)
		w.s(b.Limits.MaxEntryBytes)
	}
	w.u(uint64(len(e.Captures)))
	for _, c := range e.Captures {
		w.str(c.Spec)
		w.u(uint64(len(c.Files)))
		for _, f := range c.Files {
			w.u(uint64(f.Reg))
			w.str(f.Skipped)
			w.u(b2u(f.Data != nil))
			if f.Data != nil {
				w.bytes(f.Data)
			}
		}
	}
	w.WriteByte(endMark)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// decode reads an entry file, checking that it is whole, of this Version
// and of the layer want.
func decode(b []byte, want v1.Hash) (*Entry, error) {
	if len(b) < headerSize || string(b[:8]) != magic {
		return nil, errCorrupt
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
		return nil, fmt.Errorf("%w: version %d, not %d", errCorrupt, v, Version)
	}
	if n := binary.LittleEndian.Uint64(b[16:]); n != uint64(len(b)-headerSize) {
		return nil, fmt.Errorf("%w: truncated", errCorrupt)
	}
	if sum := checksum(b); !bytes.Equal(sum[:], b[56:72]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	if hex.EncodeToString(b[24:56]) != want.Hex || want.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: another layer's entry", errCorrupt)
	}
	zr, err := zstd.NewReader(bytes.NewReader(b[headerSize:]), zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, errCorrupt
	}
	defer zr.Close()
	r := &reader{r: bufio.NewReaderSize(zr, 1<<16)}
	e := &Entry{DiffID: want}
	r.decodeBody(e)
	if r.err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, r.err)
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", errCorrupt)
	}
	return e, nil
}

// reader decodes a body, keeping the first error; after one, every read
// returns zero.
type reader struct {
	r   *bufio.Reader
	err error
}

// maxString bounds a path, link target or name; maxCount a count of
// records, blobs or files.
const (
	maxString = 1 << 24
	maxCount  = 1 << 31
)

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	r.fail(err)
	return v
}

func (r *reader) s() int64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(r.r)
	r.fail(err)
	return v
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	c, err := r.r.ReadByte()
	r.fail(err)
	return c
}

func (r *reader) flag() bool {
	switch r.u() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(errors.New("bad flag"))
	return false
}

func (r *reader) count() int {
	n := r.u()
	if n > maxCount {
		r.fail(errors.New("count out of range"))
		return 0
	}
	return int(n)
}

// data reads n bytes, growing the buffer as they come rather than
// trusting n.
func (r *reader) data(limit uint64) []byte {
	n := r.u()
	if r.err != nil {
		return nil
	}
	if n > limit {
		r.fail(errors.New("length out of range"))
		return nil
	}
	out := make([]byte, 0, min(n, 1<<20))
	for uint64(len(out)) < n {
		chunk := min(n-uint64(len(out)), 1<<20)
		start := len(out)
		out = append(out, make([]byte, chunk)...)
		if _, err := io.ReadFull(r.r, out[start:]); err != nil {
			r.fail(err)
			return nil
		}
	}
	return out
}

func (r *reader) str() string { return string(r.data(maxString)) }

func (r *reader) decodeBody(e *Entry) {
	e.UncompressedSize = r.s()
	e.Entries = r.s()
	e.Hashed = r.flag()
	n := r.count()
	e.Records = make([]fstree.Record, 0, min(n, 1<<16))
	e.Owners = make([]Owner, 0, min(n, 1<<16))
	for k := 0; k < n && r.err == nil; k++ {
		var rec fstree.Record
		rec.Type = fstree.Type(r.byte())
		if rec.Type < fstree.TypeReg || rec.Type > fstree.TypeMeta {
			r.fail(errors.New("bad record type"))
		}
		rec.Hashed = r.flag()
		rec.Path = r.str()
		rec.Link = r.str()
		rec.Size = r.s()
		rec.Mode = r.s()
		o := Owner{UID: r.s(), GID: r.s()}
		if rec.Hashed && r.err == nil {
			_, err := io.ReadFull(r.r, rec.Hash[:])
			r.fail(err)
		}
		e.Records = append(e.Records, rec)
		e.Owners = append(e.Owners, o)
	}
	n = r.count()
	for k := 0; k < n && r.err == nil; k++ {
		var b Blob
		d, err := v1.NewHash(r.str())
		if r.err == nil && err != nil {
			r.fail(err)
		}
		b.Digest = d
		b.Size = r.s()
		b.Compression = layer.Compression(r.str())
		b.Limits.MaxRatio = math.Float64frombits(r.u())
		b.Limits.RatioFloor = r.s()
		b.Limits.MaxBytes = r.s()
		b.Limits.MaxEntryBytes = r.s()
		e.Blobs = append(e.Blobs, b)
	}
	n = r.count()
	for k := 0; k < n && r.err == nil; k++ {
		c := CaptureSet{Spec: r.str()}
		m := r.count()
		for j := 0; j < m && r.err == nil; j++ {
			f := Capture{Reg: r.count(), Skipped: r.str()}
			if r.flag() {
				f.Data = r.data(math.MaxInt64)
			}
			c.Files = append(c.Files, f)
		}
		e.Captures = append(e.Captures, c)
	}
	if r.byte() != endMark {
		r.fail(errors.New("no end mark"))
	}
}
