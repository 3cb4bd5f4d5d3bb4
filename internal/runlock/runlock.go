// Package runlock gives one process at a time the use of a directory: an
// exclusive flock(2) on DIR/.lock, taken without waiting and held until
// Release or until the process ends, however it ends (exit, panic, SIGKILL:
// the kernel drops the lock with the process, so a lock never outlives its
// holder and needs no cleaning up).
//
// collegium train holds the lock of its run directory for the whole run, so
// a second run with the same --out, or a --resume of a run still alive,
// fails at once instead of overwriting it. Anything else that writes into a
// run directory (a sweep driver, a tool that edits checkpoints) takes the
// same lock first. The holder writes its PID into the lock file so that the
// error can name it; the PID is informative only, the flock is the lock.
//
// flock is advisory: it binds processes that take it, not others. On NFS,
// Linux emulates it with POSIX byte-range locks, which needs a lock manager.
package runlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// FileName is the lock file inside the locked directory.
const FileName = ".lock"

// ErrHeld is wrapped by the error of Acquire when another process holds the
// lock.
var ErrHeld = errors.New("held by another process")

// Lock is a held directory lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of dir (which must exist) without waiting. When
// another process holds it, the error wraps ErrHeld and names that
// process's PID when it has recorded one.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := "another process"
			if pid := Holder(dir); pid > 0 {
				holder = "process " + strconv.Itoa(pid)
			}
			return nil, fmt.Errorf("%s is in use by %s (%w; it is released when that process ends)", dir, holder, ErrHeld)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: record PID: %w", dir, err)
	}
	return &Lock{f: f}, nil
}

// Holder returns the PID recorded in dir's lock file, or 0 when there is
// none. A PID is recorded only while its process holds the lock, but it
// can be stale after a crash: use it in messages, not to decide anything.
func Holder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// Release clears the recorded PID and drops the lock. The lock file stays:
// removing it would let a process that opened it just before lock a file
// that no longer has a name while a third creates and locks a new one.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	terr := l.f.Truncate(0)
	cerr := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	if cerr != nil {
		return fmt.Errorf("release lock: %w", cerr)
	}
	if terr != nil {
		return fmt.Errorf("release lock: %w", terr)
	}
	return nil
}
