package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interruptedError is the cause of a context cancelled by a signal. A
// command that stops because of it exits with 128 + the signal's number
// (130 for SIGINT, 143 for SIGTERM), as a shell reports a process killed
// by that signal, so that a scheduler can tell an interrupted run from a
// finished one.
type interruptedError struct {
	sig syscall.Signal
}

func (e *interruptedError) Error() string { return "interrupted by " + signalName(e.sig) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// interruptContext returns a context cancelled, with an *interruptedError
// as its cause, by the first SIGINT or SIGTERM. After that first signal the
// default handling is back, so a second one ends the process at once. stop
// releases the signals.
func interruptContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&interruptedError{sig: s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interruption returns the *interruptedError that cancelled ctx, or nil.
func interruption(ctx context.Context) *interruptedError {
	var ie *interruptedError
	if errors.As(context.Cause(ctx), &ie) {
		return ie
	}
	return nil
}

// whileInterrupted turns err, the failure of what was being done when ctx
// was interrupted, into the interruption: what was cut short is not a
// failure of its own.
func whileInterrupted(ctx context.Context, doing string, err error) error {
	if ie := interruption(ctx); ie != nil {
		return fmt.Errorf("%s: %w", doing, ie)
	}
	return err
}

// exitCode is the process status for the error a command returned.
func exitCode(err error) int {
	var ie *interruptedError
	if errors.As(err, &ie) {
		return 128 + int(ie.sig)
	}
	return 1
}
