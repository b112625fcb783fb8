package layer

import "io"

// Read-ahead (WithReadAhead): the blob is read, hashed and decompressed on
// a goroutine of its own, at most aheadChunks buffers of aheadChunk bytes
// ahead of the tar parsing and the callback, which run on the caller's.
// Buffers of 128 KiB stay in the cores' caches between the two goroutines
// (1 MiB ones cost more CPU time and overlapped less, measured on a 2-core
// machine).
const (
	aheadChunk  = 128 << 10
	aheadChunks = 16
)

// WithReadAhead, on, has Walk read, hash and decompress the blob on another
// goroutine, ahead of the tar parsing and the callback (default off): on a
// machine with a core to spare, decompressing no longer waits for the
// callback's work, nor the callback for decompressing. At most 2 MiB of the
// uncompressed stream is held ahead; the limits stop the decompression as
// soon as they are passed, as without it; results and errors are the same.
func WithReadAhead(on bool) Option {
	return func(o *options) error {
		o.ahead = on
		return nil
	}
}

// aheadReader reads r on its own goroutine into a few buffers, handed over
// in order. Read is called from one goroutine; close stops the reading
// goroutine and waits for it to end: only then may what r reads from be
// used by another.
type aheadReader struct {
	full chan aheadBatch // filled buffers, in stream order
	free chan []byte     // buffers read out, back to the goroutine
	stop chan struct{}   // closed by close
	done chan struct{}   // closed when the goroutine ends

	buf     []byte // the buffer being read out (to give back)
	cur     []byte // its unread part
	err     error  // the stream's end or error, once cur is read out
	stopped bool
}

// aheadBatch is a filled buffer and the error that ended its filling.
type aheadBatch struct {
	b   []byte
	err error
}

func newAheadReader(r io.Reader) *aheadReader {
	a := &aheadReader{
		full: make(chan aheadBatch, aheadChunks),
		free: make(chan []byte, aheadChunks),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range aheadChunks {
		a.free <- make([]byte, aheadChunk)
	}
	go a.fill(r)
	return a
}

// fill reads r into free buffers until r's end or first error, which goes
// along with the data read before it.
func (a *aheadReader) fill(r io.Reader) {
	defer close(a.done)
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.stop:
			return
		}
		n, empty := 0, 0
		var err error
		for n < len(b) && err == nil {
			var k int
			k, err = r.Read(b[n:])
			n += k
			switch {
			case k > 0:
				empty = 0
			case err == nil:
				if empty++; empty >= 100 {
					err = io.ErrNoProgress
				}
			}
		}
		// full holds every buffer: this never blocks.
		a.full <- aheadBatch{b: b[:n], err: err}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)] // free holds every buffer: never blocks
			a.buf = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		if a.stopped {
			return 0, io.ErrClosedPipe
		}
		bt := <-a.full
		a.buf, a.cur, a.err = bt.b, bt.b, bt.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// close stops the goroutine (if it has not ended) and waits for it.
func (a *aheadReader) close() {
	if a.stopped {
		return
	}
	a.stopped = true
	close(a.stop)
	<-a.done
}
