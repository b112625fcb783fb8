package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupt is the cause of a context that NotifyContext cancelled: the
// signal received.
type Interrupt struct {
	Signal os.Signal
}

func (i *Interrupt) Error() string { return "interrupted by " + i.Name() }

// Name is the signal's conventional name (SIGINT, SIGTERM).
func (i *Interrupt) Name() string {
	switch i.Signal {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return i.Signal.String()
}

// ExitCode is the shells' convention for a process ended by the signal:
// 128 plus its number (130 for SIGINT, 143 for SIGTERM).
func (i *Interrupt) ExitCode() int {
	if s, ok := i.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitError
}

// NotifyContext returns a context cancelled, with an *Interrupt as its
// cause, when the process receives SIGINT or SIGTERM. After the first
// signal the default action is restored, so a second one ends the process
// at once. stop releases the signals.
func NotifyContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&Interrupt{Signal: s})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
}

// activity is what a command is doing, for the message an interrupt
// prints: set by the command as it goes, read by Execute.
type activity struct {
	mu      sync.Mutex
	doing   string // "while writing the merged layer"
	written string // "nothing was written to app-small.tar"
}

type activityKey struct{}

func withActivity(ctx context.Context) (context.Context, *activity) {
	a := &activity{}
	return context.WithValue(ctx, activityKey{}, a), a
}

// setActivity records what the command does now ("while reading layer 2
// of 3"), and, when written is not "", what an interrupt leaves of its
// output ("nothing was written to out.tar").
func setActivity(ctx context.Context, doing, written string) {
	a, _ := ctx.Value(activityKey{}).(*activity)
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.doing = doing
	if written != "" {
		a.written = written
	}
}

// interruptedError is a command stopped by a signal.
type interruptedError struct {
	command string
	intr    *Interrupt
	doing   string
	written string
	err     error
}

func (e *interruptedError) Error() string {
	msg := e.command + " interrupted (" + e.intr.Name() + ")"
	if e.doing != "" {
		msg += " " + e.doing
	}
	if e.written != "" {
		msg += ": " + e.written
	}
	return msg
}

func (e *interruptedError) Unwrap() error { return e.err }

// interrupted returns err as an *interruptedError when ctx was cancelled
// by a signal (NotifyContext), else err.
func interrupted(ctx context.Context, command string, err error) error {
	if err == nil || ctx == nil {
		return err
	}
	var ie *interruptedError
	if errors.As(err, &ie) {
		return err
	}
	var intr *Interrupt
	if !errors.As(context.Cause(ctx), &intr) {
		return err
	}
	e := &interruptedError{command: command, intr: intr, err: err}
	if a, _ := ctx.Value(activityKey{}).(*activity); a != nil {
		a.mu.Lock()
		e.doing, e.written = a.doing, a.written
		a.mu.Unlock()
	}
	return e
}

func (e *interruptedError) exitCode() int { return e.intr.ExitCode() }
