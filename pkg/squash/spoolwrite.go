package squash

import (
	"errors"
	"io"
)

// spoolBuffer is the size of each of the spool writer's two buffers.
const spoolBuffer = 1 << 20

// spoolWriter buffers the spool's content and writes each full buffer to
// the file on its own goroutine, while the next one fills: the write
// system calls (copying into the page cache) run on another core than the
// layer reading (decompressing, hashing, tar parsing), which is serial.
// Two buffers of spoolBuffer bytes: memory stays bounded.
type spoolWriter struct {
	w    io.Writer
	buf  []byte
	full chan []byte     // to the writing goroutine
	free chan spoolBatch // back from it
	done chan error      // the goroutine's first error, when it ends
	err  error
}

// spoolBatch is a buffer given back, with the error of a write.
type spoolBatch struct {
	b   []byte
	err error
}

func newSpoolWriter(w io.Writer) *spoolWriter {
	s := &spoolWriter{w: w, buf: make([]byte, 0, spoolBuffer),
		full: make(chan []byte, 1), free: make(chan spoolBatch, 1), done: make(chan error, 1)}
	s.free <- spoolBatch{b: make([]byte, 0, spoolBuffer)}
	go func() {
		var err error
		for b := range s.full {
			if err == nil {
				_, err = w.Write(b)
			}
			s.free <- spoolBatch{b[:0], err}
		}
		s.done <- err
	}()
	return s
}

// Write copies p into the buffers. An error of an earlier write is
// returned by a later Write, and by Flush.
func (s *spoolWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		k := copy(s.buf[len(s.buf):cap(s.buf)], p)
		s.buf = s.buf[:len(s.buf)+k]
		n += k
		p = p[k:]
		if len(s.buf) == cap(s.buf) {
			s.send()
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the buffers.
func (s *spoolWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	for {
		if s.err != nil {
			return n, s.err
		}
		k, err := r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+k]
		n += int64(k)
		if len(s.buf) == cap(s.buf) {
			s.send()
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// send hands the full buffer to the goroutine and takes the other one; an
// error of the goroutine's last write stops the writer.
func (s *spoolWriter) send() {
	s.full <- s.buf
	r := <-s.free
	s.buf = r.b
	if r.err != nil && s.err == nil {
		s.err = r.err
	}
}

// Flush writes what is buffered, waits for every write, stops the
// goroutine and returns the first error. The writer is not usable after.
func (s *spoolWriter) Flush() error {
	if s.full == nil {
		return s.err
	}
	if len(s.buf) > 0 {
		s.send()
	}
	close(s.full)
	err := <-s.done
	s.full = nil
	if s.err == nil {
		s.err = err
	}
	if s.err == nil {
		s.err = errSpoolFlushed
		return nil
	}
	return s.err
}

// Close stops the goroutine, dropping what is buffered (after an error).
func (s *spoolWriter) Close() {
	if s.full != nil {
		close(s.full)
		<-s.done
		s.full = nil
	}
}

var errSpoolFlushed = errors.New("spool writer used after Flush")
