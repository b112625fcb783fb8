package layer

import (
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// HashAhead reads a stream on its own goroutine, in chunks of ChunkSize,
// hashes every chunk, in order, on a second goroutine, and hands the same
// chunks to Read: the stream's bytes pass through memory once, the hash
// (a layer's diff_id) is computed on another core than the one that
// parses the stream, and reading (decompressing) overlaps both. It holds at
// most AheadChunks chunks at a time.
//
// Read is for one goroutine. Errors of the source reach Read in order,
// after the bytes read before them. Close stops the goroutines and waits
// for them, so that the source may be closed after it; Sum is the hash of
// every byte read once Read has returned io.EOF.
type HashAhead struct {
	out   chan *chunk
	free  chan *chunk
	hashq chan *chunk
	stop  chan struct{}
	done  sync.WaitGroup
	close sync.Once
	h     hash.Hash

	made int // chunks made, by produce

	cur *chunk
	off int
	n   int64
}

// ChunkSize is the size of the chunks HashAhead reads; AheadChunks how
// many it holds at most (being read, hashed or parsed).
const (
	ChunkSize   = 256 << 10
	AheadChunks = 3
)

type chunk struct {
	buf  []byte
	n    int
	err  error
	refs atomic.Int32
}

// NewHashAhead starts reading r and hashing what it reads into h (h may be
// nil: then it only reads ahead). Call Close when done, even after an
// error.
func NewHashAhead(r io.Reader, h hash.Hash) *HashAhead {
	a := &HashAhead{
		out:   make(chan *chunk, AheadChunks),
		free:  make(chan *chunk, AheadChunks),
		hashq: make(chan *chunk, AheadChunks),
		stop:  make(chan struct{}),
		h:     h,
	}
	a.done.Add(2)
	go a.produce(r)
	go a.hash()
	return a
}

func (a *HashAhead) produce(r io.Reader) {
	defer a.done.Done()
	defer close(a.hashq)
	for {
		// A chunk is made only when none is free: a short stream
		// holds one. (Chunks are not pooled between streams: what a
		// walk allocates does not depend on when the collector ran.)
		var c *chunk
		select {
		case c = <-a.free:
		default:
			if a.made < AheadChunks {
				a.made++
				c = &chunk{buf: make([]byte, ChunkSize)}
				break
			}
			select {
			case c = <-a.free:
			case <-a.stop:
				return
			}
		}
		n, err := 0, error(nil)
		for n < len(c.buf) && err == nil {
			var m int
			m, err = r.Read(c.buf[n:])
			n += m
		}
		c.n, c.err = n, err
		c.refs.Store(2)
		a.hashq <- c // never blocks: room for every chunk
		select {
		case a.out <- c:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *HashAhead) hash() {
	defer a.done.Done()
	for c := range a.hashq {
		if a.h != nil {
			a.h.Write(c.buf[:c.n])
		}
		a.release(c)
	}
}

func (a *HashAhead) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		a.free <- c // never blocks: room for every chunk
	}
}

// Read reads the stream's next bytes.
func (a *HashAhead) Read(p []byte) (int, error) {
	for {
		if c := a.cur; c != nil {
			if a.off < c.n {
				n := copy(p, c.buf[a.off:c.n])
				a.off += n
				a.n += int64(n)
				return n, nil
			}
			if c.err != nil {
				return 0, c.err
			}
			a.cur = nil
			a.release(c)
		}
		if len(p) == 0 {
			return 0, nil
		}
		a.cur, a.off = <-a.out, 0
	}
}

// N is the number of bytes Read returned so far.
func (a *HashAhead) N() int64 { return a.n }

// Close stops reading ahead and waits for both goroutines. It may be
// called more than once.
func (a *HashAhead) Close() {
	a.close.Do(func() {
		close(a.stop)
		a.done.Wait()
	})
}

// Sum returns the hash of the bytes read, once Read has returned io.EOF
// (it waits for the hashing to finish).
func (a *HashAhead) Sum() []byte {
	a.Close()
	return a.h.Sum(nil)
}
