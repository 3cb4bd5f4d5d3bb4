package train

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/internal/runlock"
)

// DefaultRunsDir is where runs without an --out go, one directory each.
const DefaultRunsDir = "runs"

// Dir is a run directory held by this process: it holds the directory's
// runlock from CreateDir or OpenDir to Close, so no other run can write
// into it meanwhile, and it keeps train.log open for appending.
type Dir struct {
	// Path is the run directory.
	Path string
	// Removed names the temporary files of interrupted writes (a crash or
	// SIGKILL mid-checkpoint) that taking the directory deleted.
	Removed []string
	lock    *runlock.Lock
	log     *os.File
}

// CreateDir takes the directory for a new run: out, created if needed, or
// when out is empty a fresh DefaultRunsDir/<timestamp>, suffixed -2, -3, ...
// when that name is taken (each name is claimed by an exclusive mkdir, so
// runs started in the same second never share a directory). A directory
// that already holds a run (its checkpoint.json) is refused: resume it with
// OpenDir.
func CreateDir(out string) (*Dir, error) {
	path := out
	if out == "" {
		var err error
		if path, err = claimRunDir(DefaultRunsDir, time.Now()); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	d, err := holdDir(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(path, checkpointJSON)); err == nil {
		d.Close()
		return nil, fmt.Errorf("run directory %s already holds a run: resume it with --resume %s, or choose another --out", path, path)
	}
	return d, nil
}

// OpenDir takes the directory of an existing run to resume it.
func OpenDir(path string) (*Dir, error) {
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("resume %s: no such run directory", path)
	}
	d, err := holdDir(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(path, checkpointJSON)); err != nil {
		d.Close()
		return nil, fmt.Errorf("resume %s: no %s there (was the run started with --out %s?)", path, checkpointJSON, path)
	}
	return d, nil
}

// claimRunDir creates and returns a new directory under parent named after
// t, with the first free suffix.
func claimRunDir(parent string, t time.Time) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("run directory: %w", err)
	}
	base := filepath.Join(parent, t.Format("20060102-150405"))
	for i := 1; i <= 1000; i++ {
		path := base
		if i > 1 {
			path += "-" + strconv.Itoa(i)
		}
		err := os.Mkdir(path, 0o755)
		if err == nil {
			return path, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("run directory: %w", err)
		}
	}
	return "", fmt.Errorf("run directory: %s and 999 suffixed names are all taken", base)
}

// holdDir locks path, removes the leftovers of interrupted writes and opens
// the log.
func holdDir(path string) (*Dir, error) {
	lock, err := runlock.Acquire(path)
	if err != nil {
		if errors.Is(err, runlock.ErrHeld) {
			return nil, fmt.Errorf("run directory %w: wait for that run to end, or choose another --out", err)
		}
		return nil, fmt.Errorf("run directory: %w", err)
	}
	d := &Dir{Path: path, lock: lock}
	if d.Removed, err = atomicfile.RemoveLeftovers(path); err != nil {
		d.Close()
		return nil, err
	}
	if d.log, err = os.OpenFile(filepath.Join(path, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		d.Close()
		return nil, fmt.Errorf("run log: %w", err)
	}
	return d, nil
}

// Logger returns a logger writing to stderr and to the run's train.log, in
// the standard logger's format and level.
func (d *Dir) Logger(stderr io.Writer) *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.MultiWriter(stderr, d.log))
	l.SetFormatter(logrus.StandardLogger().Formatter)
	l.SetLevel(logrus.GetLevel())
	return l
}

// LogFailure records in train.log (only: the caller reports err itself)
// the error that ended the run.
func (d *Dir) LogFailure(err error) {
	l := logrus.New()
	l.SetOutput(d.log)
	l.SetFormatter(logrus.StandardLogger().Formatter)
	l.WithError(err).Error("run failed")
}

// Close closes the log and releases the lock.
func (d *Dir) Close() error {
	var errs []error
	if d.log != nil {
		errs = append(errs, d.log.Close())
		d.log = nil
	}
	errs = append(errs, d.lock.Release())
	return errors.Join(errs...)
}
