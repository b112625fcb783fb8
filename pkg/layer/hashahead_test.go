package layer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"testing/iotest"
	"time"
)

// jaggedReader returns at most a random number of bytes per Read, then err
// (instead of io.EOF) once data is exhausted.
type jaggedReader struct {
	data []byte
	rnd  *rand.Rand
	err  error
}

func (r *jaggedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := min(len(p), len(r.data), 1+r.rnd.IntN(3*ChunkSize/2))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// TestHashAheadStream: what Read yields is the source, byte for byte, and
// Sum is the sha256 of it as crypto/sha256 computes it in one call, for
// sizes around the chunk boundaries and reads of every size.
func TestHashAheadStream(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 511, ChunkSize - 1, ChunkSize, ChunkSize + 1, AheadChunks*ChunkSize + 7, 3*AheadChunks*ChunkSize + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		want := sha256.Sum256(data)
		for _, readSize := range []int{1, 512, 4096, 3 * ChunkSize} {
			if size > 1<<20 && readSize < 512 {
				continue // byte by byte over megabytes: slow, and 512 covers it
			}
			a := NewHashAhead(&jaggedReader{data: data, rnd: rnd, err: io.EOF}, sha256.New())
			var got bytes.Buffer
			buf := make([]byte, readSize)
			for {
				n, err := a.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("size %d: %v", size, err)
				}
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("size %d, reads of %d: read %d bytes, not the source's %d", size, readSize, got.Len(), size)
			}
			if a.N() != int64(size) {
				t.Errorf("size %d: N = %d", size, a.N())
			}
			if s := a.Sum(); !bytes.Equal(s, want[:]) {
				t.Errorf("size %d, reads of %d: sum %x, want %x", size, readSize, s, want)
			}
			a.Close() // again: a no-op
		}
	}
}

// TestHashAheadError: an error of the source reaches Read after every byte
// read before it, and stays.
func TestHashAheadError(t *testing.T) {
	boom := errors.New("boom")
	data := bytes.Repeat([]byte("whittle "), ChunkSize/3)
	a := NewHashAhead(&jaggedReader{data: data, rnd: rand.New(rand.NewPCG(3, 4)), err: boom}, sha256.New())
	defer a.Close()
	got, err := io.ReadAll(a)
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes before the error, want %d", len(got), len(data))
	}
	if _, err := a.Read(make([]byte, 10)); !errors.Is(err, boom) {
		t.Errorf("a second Read: %v, want %v", err, boom)
	}
	if err := iotest.TestReader(NewHashAhead(bytes.NewReader(data), nil), data); err != nil {
		t.Error(err) // nil hash: only reads ahead (that HashAhead is not closed; its goroutines end at EOF)
	}
}

// TestHashAheadCloseEarly: Close in the middle of a long stream returns
// (it stops the reading ahead) and leaves no goroutine behind.
func TestHashAheadCloseEarly(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		a := NewHashAhead(endless{}, sha256.New())
		if _, err := io.ReadFull(a, make([]byte, ChunkSize+100)); err != nil {
			t.Fatal(err)
		}
		a.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
