package imageref

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A registry may accept a connection and never answer, send headers and
// then stall, reset the connection halfway through a layer, or ask for
// patience (429, 5xx). go-containerregistry retries a request that fails
// before its response (a reset, a temporary error, 408, 429, 5xx) three
// times, waiting 1 s then 3 s; it bounds connecting (30 s) and the TLS
// handshake (10 s), but nothing else. netTransport, under it, bounds the
// rest and resumes bodies:
//
//   - no response headers to a GET or HEAD within the timeout: the
//     request fails (and is retried by go-containerregistry, as a
//     temporary error); uploads, whose responses come once their bodies
//     are sent, are left alone;
//   - no body bytes for the timeout, while a read waits for them: the body
//     read fails (a reader who pauses between reads is not timed);
//   - a body read that fails (a stall, a reset, a cut) is resumed where it
//     stopped with a Range request, up to resumes times, waiting between
//     tries; a server that does not answer a Range with 206 from that
//     offset fails it.
//
// Every error names the request: method, registry and path (never the
// query, which may hold a signed URL's credentials).

// DefaultTimeout is how long a registry may keep whittle waiting for
// response headers, or for the next bytes of a body (WithTimeout).
const DefaultTimeout = 60 * time.Second

// defaultResumes is how many times a failed body read is resumed.
const defaultResumes = 3

// WithTimeout sets how long a registry may keep whittle waiting for a
// response's headers, or for the next bytes of a body that has started
// (default DefaultTimeout; 0: no limit). A request that times out before
// its headers is retried; a body that stalls is resumed where it stopped
// (a Range request).
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("timeout must not be negative, got %s", d)
		}
		o.timeout = d
		return nil
	}
}

// NetworkError reports a request to a registry that failed for the
// network's sake: no response headers in time, a body that stalled, or a
// body read that failed and could not be resumed.
type NetworkError struct {
	// Method and URL (scheme, host and path) name the request.
	Method, URL string
	// Timeout is set when the registry kept whittle waiting past the
	// timeout.
	Timeout bool
	// Read is how many bytes of the body had been read, Resumed how many
	// times the body was resumed.
	Read    int64
	Resumed int
	Err     error
}

func (e *NetworkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	b.WriteString(e.Err.Error())
	if e.Read > 0 || e.Resumed > 0 {
		fmt.Fprintf(&b, " (after %d bytes of the body", e.Read)
		switch e.Resumed {
		case 0:
		case 1:
			b.WriteString(", resumed once")
		default:
			fmt.Fprintf(&b, ", resumed %d times", e.Resumed)
		}
		b.WriteString(")")
	}
	return b.String()
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Temporary makes go-containerregistry retry a request that timed out
// before its headers.
func (e *NetworkError) Temporary() bool { return e.Timeout }

// Timeouts, as the Err of a NetworkError.
var (
	errNoHeaders = errors.New("no response headers in time")
	errStalled   = errors.New("the body stalled: no data in time")
)

// requestName is a request's method and URL without its query.
func requestName(req *http.Request) (string, string) {
	u := url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path}
	return req.Method, u.String()
}

// netTransport bounds and resumes what a registry's requests may cost.
type netTransport struct {
	base    http.RoundTripper
	timeout time.Duration
	resumes int
	// backoff is the wait before the first resume (doubled each time).
	backoff time.Duration
}

func (t *netTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		// An upload's response comes once its body is sent, however
		// long that takes: only reads are bounded here.
		return t.base.RoundTrip(req)
	}
	resp, cancel, err := t.attempt(req)
	if err != nil {
		return nil, err
	}
	b := &netBody{t: t, req: req, rc: resp.Body, cancel: cancel, size: resp.ContentLength,
		resumable: req.Method == http.MethodGet && resp.StatusCode == http.StatusOK}
	b.arm()
	resp.Body = b
	return resp, nil
}

// attempt sends req once, with its own context, which cancel cancels
// (when the body is done with, or stalls).
func (t *netTransport) attempt(req *http.Request) (*http.Response, context.CancelCauseFunc, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	var timer *time.Timer
	if t.timeout > 0 {
		timer = time.AfterFunc(t.timeout, func() { cancel(errNoHeaders) })
	}
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if timer != nil && !timer.Stop() && context.Cause(ctx) == errNoHeaders {
		if resp != nil {
			resp.Body.Close()
		}
		cancel(nil)
		m, u := requestName(req)
		return nil, nil, &NetworkError{Method: m, URL: u, Timeout: true, Err: fmt.Errorf("%w (%s)", errNoHeaders, t.timeout)}
	}
	if err != nil {
		cancel(nil)
		return nil, nil, err // go-containerregistry names and retries it
	}
	return resp, cancel, nil
}

// netBody is a response body that fails when it stalls, and resumes a
// read that fails where it stopped.
type netBody struct {
	t         *netTransport
	req       *http.Request
	resumable bool
	size      int64 // the whole body's length, -1 when unknown

	mu      sync.Mutex
	rc      io.ReadCloser
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	stalled bool

	read    int64
	resumed int
	pending error // a failure met with bytes in hand, for the next Read
	done    bool
}

// arm makes the stall timer ready for the current attempt: it runs only
// while a read waits for the registry, so that a reader who pauses
// between reads is never taken for a stalled registry.
func (b *netBody) arm() {
	if b.t.timeout <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stalled = false
	if b.timer == nil {
		b.timer = time.AfterFunc(time.Hour, func() {
			b.mu.Lock()
			b.stalled = true
			cancel := b.cancel
			b.mu.Unlock()
			cancel(errStalled)
		})
	}
	b.timer.Stop()
}

// wait reads from the current attempt, the stall timer running.
func (b *netBody) wait(p []byte) (int, error) {
	if b.t.timeout <= 0 {
		return b.rc.Read(p)
	}
	b.timer.Reset(b.t.timeout)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	return n, err
}

func (b *netBody) Read(p []byte) (int, error) {
	for {
		if b.done {
			return 0, io.EOF
		}
		err := b.pending
		b.pending = nil
		n := 0
		if err == nil {
			n, err = b.wait(p)
			b.read += int64(n)
			if err == io.EOF {
				b.finish()
				return n, io.EOF
			}
			if err == nil {
				return n, nil
			}
			if n > 0 {
				b.pending = err // hand over what came first
				return n, nil
			}
		}
		// The read failed: resume where it stopped, or fail naming the
		// request.
		b.mu.Lock()
		stalled := b.stalled
		b.mu.Unlock()
		if stalled {
			err = fmt.Errorf("%w (%s)", errStalled, b.t.timeout)
		}
		if ctxErr := b.req.Context().Err(); ctxErr != nil {
			b.finish()
			return 0, ctxErr // the caller gave up: not the network's fault
		}
		if !b.resumable || b.resumed >= b.t.resumes {
			b.finish()
			m, u := requestName(b.req)
			return 0, &NetworkError{Method: m, URL: u, Timeout: stalled, Read: b.read, Resumed: b.resumed, Err: err}
		}
		if rerr := b.resume(); rerr != nil {
			b.finish()
			m, u := requestName(b.req)
			return 0, &NetworkError{Method: m, URL: u, Timeout: stalled, Read: b.read, Resumed: b.resumed,
				Err: fmt.Errorf("%w; resuming it: %w", err, rerr)}
		}
	}
}

// resume asks for the rest of the body, from the bytes already read.
func (b *netBody) resume() error {
	b.rc.Close()
	b.cancel(nil)
	wait := b.t.backoff << b.resumed
	b.resumed++
	select {
	case <-time.After(wait):
	case <-b.req.Context().Done():
		return b.req.Context().Err()
	}
	req := b.req.Clone(b.req.Context())
	// The end is given when known: some servers (go-containerregistry's
	// registry among them) read no open-ended range.
	end := ""
	if b.size > b.read {
		end = strconv.FormatInt(b.size-1, 10)
	}
	req.Header.Set("Range", "bytes="+strconv.FormatInt(b.read, 10)+"-"+end)
	resp, cancel, err := b.t.attempt(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusPartialContent || !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes "+strconv.FormatInt(b.read, 10)+"-") {
		resp.Body.Close()
		cancel(nil)
		return fmt.Errorf("the registry answered %s, not the rest of the body", resp.Status)
	}
	b.mu.Lock()
	b.rc, b.cancel = resp.Body, cancel
	b.mu.Unlock()
	b.arm()
	return nil
}

// finish stops the timer and releases the attempt.
func (b *netBody) finish() {
	b.done = true
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	cancel := b.cancel
	b.mu.Unlock()
	cancel(nil)
}

func (b *netBody) Close() error {
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	rc, cancel := b.rc, b.cancel
	b.mu.Unlock()
	err := rc.Close()
	cancel(nil)
	return err
}
