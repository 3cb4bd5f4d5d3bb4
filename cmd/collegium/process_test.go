package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The helpers in this file run the CLI (cliBinary) as separate processes.

// TestMain fails the package if a test left a runs/ directory in the
// source tree: tests that may start a run work in a temporary directory.
func TestMain(m *testing.M) {
	_, before := os.Stat(defaultRuns)
	code := m.Run()
	if _, after := os.Stat(defaultRuns); before != nil && after == nil {
		fmt.Fprintf(os.Stderr, "FAIL: a test created %s in the source tree\n", defaultRuns)
		code = 1
	}
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// interruptSignals are the signals that stop a run or a sweep with a
// checkpoint, and the exit status each gives (128 + its number).
var interruptSignals = []struct {
	sig  syscall.Signal
	code int
}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}}

// defaultRuns is where runs without --out go, relative to the working
// directory.
const defaultRuns = "runs"

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running collegium process.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int
}

// startCLI starts collegium with args in dir (the working directory, where
// default runs go), with $COLLEGIUM_DATA unset.
func startCLI(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(cliBinary(t, ""), args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "COLLEGIUM_DATA=")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.code = 128 + int(ws.Signal())
			}
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// runCLIProcess runs collegium to the end and returns its exit code.
func runCLIProcess(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := startCLI(t, dir, args...)
	p.wait(t, 3*time.Minute)
	return p
}

// wait waits for the process to end and returns its exit code (128+N when
// signal N killed it).
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v still running after %v\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], timeout, p.stdout.String(), p.stderr.String())
		return -1
	}
}

// waitForStderr waits until the process has written want to stderr.
func (p *proc) waitForStderr(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.stderr.String(), want) {
		select {
		case <-p.done:
			t.Fatalf("%v ended (status %d) before writing %q\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], p.code, want, p.stdout.String(), p.stderr.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v: no %q on stderr after %v\nstderr:\n%s", p.cmd.Args[1:], want, timeout, p.stderr.String())
		}
	}
}

func (p *proc) signal(t *testing.T, s os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatal(err)
	}
}

func (p *proc) String() string {
	return "stdout:\n" + p.stdout.String() + "\nstderr:\n" + p.stderr.String()
}
