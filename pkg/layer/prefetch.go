package layer

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle/whittle/pkg/spool"
)

// Prefetch decompresses a compressed layer's blob ahead of its walk, on a
// goroutine of its own, into a temporary file with no name: a reader that
// must walk layers one after the other (squash, top-down) can have the
// next layers decompressed on other cores meanwhile, and a layer's walk
// then reads its tar stream from the file (from the page cache, as far as
// the prefetch has come, waiting for the rest).
//
// A prefetch is only ever a shortcut: Walk with WithPrefetch checks the
// stream as it always does (the diff_id of every byte it reads, the blob's
// digest and length, which the prefetch computes as it reads the blob, the
// limits), and wherever the prefetch stopped short (an error of the blob
// or of the decompression, a limit passed, the budget spent, the file
// system full) the walk reads the rest from the blob itself, as it would
// have without a prefetch, so that its figures and its errors are the
// same either way.
type Prefetch struct {
	l      v1.Layer
	f      *os.File
	budget *spool.Budget
	cancel context.CancelFunc
	exited chan struct{}

	mu   sync.Mutex
	cond *sync.Cond
	// written: bytes of the tar stream in f; opened: the blob is open and
	// compression known; done: the goroutine wrote all it will; ok: all
	// of the tar stream is in f and the blob was read to its end.
	written      int64
	opened, done bool
	ok           bool
	compression  Compression
	blobN        int64
	blobSum      []byte // nil when the blob's digest is taken as declared
	taken        int64  // bytes counted against budget
	releasedOnce sync.Once
}

// budgetShare is the share of the budget's limit past which a prefetch
// stops (and its walk reads the rest from the blob): the rest is left to
// the writes that cannot be given up (a squash's spool and output).
const budgetShare = 0.5

// prefetchChunk is how much the prefetch decompresses before it writes.
const prefetchChunk = 1 << 20

// StartPrefetch starts decompressing l into a file with no name in dir (""
// is the system's temporary directory), counting what it writes against
// budget (nil caps nothing) while the file lives, up to half of its limit
// with what else the budget counts. opts must be those the
// walk will be given (its name, digests, limits, blob digest check). A
// layer whose blob is not compressed is not prefetched (there is nothing
// to gain). Close it once its walk is over, or when it is not walked.
func StartPrefetch(ctx context.Context, l v1.Layer, dir string, budget *spool.Budget, opts ...Option) *Prefetch {
	p := &Prefetch{l: l, budget: budget, exited: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	ctx, p.cancel = context.WithCancel(ctx)
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			p.finish(false)
			close(p.exited)
			return p
		}
	}
	if NativelyUncompressed(l) {
		p.finish(false)
		close(p.exited)
		return p
	}
	go p.run(ctx, &o, dir)
	return p
}

func (p *Prefetch) run(ctx context.Context, o *options, dir string) {
	defer close(p.exited)
	name := o.name
	if name == "" {
		name = layerName(p.l, o, false)
	}
	s, err := openStream(ctx, p.l, o, name, false)
	if err != nil || s.compression == Uncompressed {
		if s != nil {
			s.close()
		}
		p.finish(false)
		return
	}
	defer s.close()
	// Only Close, after this goroutine, reads p.f.
	if p.f, err = spool.Create(dir, "whittle-layer-prefetch"); err != nil {
		p.finish(false)
		return
	}
	p.mu.Lock()
	p.opened, p.compression = true, s.compression
	p.cond.Broadcast()
	p.mu.Unlock()
	buf := make([]byte, prefetchChunk)
	what := "the read-ahead of " + name
	for {
		n, rerr := fill(s.dec, buf)
		eof := rerr == io.EOF
		if rerr != nil && !eof || ctx.Err() != nil {
			// The walk meets the same error reading the blob itself.
			p.finish(false)
			return
		}
		if n > 0 {
			if err := p.budget.TakeWithin(int64(n), budgetShare, what); err != nil {
				p.finish(false)
				return
			}
			p.mu.Lock()
			p.taken += int64(n)
			off := p.written
			p.mu.Unlock()
			if _, err := p.f.WriteAt(buf[:n], off); err != nil {
				p.finish(false)
				return
			}
			p.mu.Lock()
			p.written += int64(n)
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		if eof {
			break
		}
	}
	// The rest of the blob after the compressed stream belongs to its
	// digest and length, as Walk reads them.
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		p.finish(false)
		return
	}
	p.mu.Lock()
	p.blobN = s.blob.n
	if s.blob.h != nil {
		p.blobSum = s.blob.h.Sum(nil)
	}
	p.mu.Unlock()
	p.finish(true)
}

// fill reads into buf until it is full or r fails; the error is r's as it
// gave it (io.EOF only at the end of the stream).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (p *Prefetch) finish(ok bool) {
	p.mu.Lock()
	p.done, p.ok = true, ok
	p.cond.Broadcast()
	p.mu.Unlock()
}

// wait blocks until the prefetch has opened the blob or stopped, and
// reports whether the walk should read from it: the blob is compressed
// and the prefetch did not stop before writing anything.
func (p *Prefetch) wait(l v1.Layer) (Compression, bool) {
	if p == nil || p.l != l {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.opened && !p.done {
		p.cond.Wait()
	}
	if !p.opened || p.done && !p.ok && p.written == 0 {
		return "", false
	}
	return p.compression, true
}

// Close stops the prefetch if it is still running, waits for its
// goroutine, closes its file and gives its bytes back to the budget. It
// may be called more than once.
func (p *Prefetch) Close() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.exited
	p.releasedOnce.Do(func() {
		if p.f != nil {
			p.f.Close()
		}
		p.budget.Release(p.taken)
	})
}

// prefetchReader reads a layer's tar stream from its prefetch, and from
// the blob itself (open) past the point where the prefetch stopped short.
type prefetchReader struct {
	p    *Prefetch
	off  int64
	open func() (*stream, error)
	fb   *stream // the blob, read from off on, once the prefetch fell short
}

func (r *prefetchReader) Read(b []byte) (int, error) {
	if r.fb != nil {
		return r.fb.dec.Read(b)
	}
	if len(b) == 0 {
		return 0, nil
	}
	p := r.p
	p.mu.Lock()
	for p.written <= r.off && !p.done {
		p.cond.Wait()
	}
	avail, done, ok := p.written-r.off, p.done, p.ok
	p.mu.Unlock()
	if avail > 0 {
		n, _ := p.f.ReadAt(b[:min(int64(len(b)), avail)], r.off)
		if n > 0 {
			r.off += int64(n)
			return n, nil
		}
		// The file failed us: the rest comes from the blob.
	} else if done && ok {
		return 0, io.EOF
	}
	fb, err := r.open()
	if err != nil {
		return 0, err
	}
	r.fb = fb
	if r.off > 0 {
		if _, err := io.CopyN(io.Discard, fb.dec, r.off); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	return fb.dec.Read(b)
}

// blob reports the blob's length and sha256 (nil when not hashed) as the
// prefetch read them, when all of the stream came from it.
func (r *prefetchReader) blob() (int64, []byte) {
	r.p.mu.Lock()
	defer r.p.mu.Unlock()
	return r.p.blobN, r.p.blobSum
}

// WithPrefetch has Walk read the layer's tar stream from p (started by
// StartPrefetch for the same layer, with the same options) as far as p has
// it. A prefetch of another layer is ignored.
func WithPrefetch(p *Prefetch) Option {
	return func(o *options) error {
		o.prefetch = p
		return nil
	}
}

func (r *prefetchReader) close() {
	if r.fb != nil {
		r.fb.close()
	}
}
