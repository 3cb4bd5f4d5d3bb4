package train

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/collegium/collegium/internal/runlock"
)

// TestClaimRunDirConcurrent: runs that claim a default name in the same
// second each get their own directory.
func TestClaimRunDirConcurrent(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "runs")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	const n = 8
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := claimRunDir(parent, now)
			if err != nil {
				t.Error(err)
			}
			names[i] = filepath.Base(p)
		})
	}
	wg.Wait()
	slices.Sort(names)
	want := []string{"20261130-120000", "20261130-120000-2", "20261130-120000-3", "20261130-120000-4",
		"20261130-120000-5", "20261130-120000-6", "20261130-120000-7", "20261130-120000-8"}
	if !slices.Equal(names, want) {
		t.Errorf("claimed %v, want %v", names, want)
	}
}

// TestDirIsExclusive: a run directory taken by CreateDir cannot be taken
// again (for a new run or a resume) until it is closed; a directory that
// holds a run is refused to a new one; taking a directory removes the
// leftovers of interrupted writes.
func TestDirIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run")
	d, err := CreateDir(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateDir(path); !errors.Is(err, runlock.ErrHeld) {
		t.Errorf("second CreateDir: %v, want ErrHeld", err)
	}
	if err := os.WriteFile(filepath.Join(path, checkpointJSON), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(path); !errors.Is(err, runlock.ErrHeld) {
		t.Errorf("OpenDir of a held directory: %v, want ErrHeld", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateDir(path); err == nil || errors.Is(err, runlock.ErrHeld) {
		t.Errorf("CreateDir of a directory holding a run: %v", err)
	}
	leftover := filepath.Join(path, ".checkpoint.json.tmp-123")
	if err := os.WriteFile(leftover, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := OpenDir(path)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) || !slices.Equal(o.Removed, []string{filepath.Base(leftover)}) {
		t.Errorf("leftover %s: %v, removed %v", leftover, err, o.Removed)
	}
	if _, err := OpenDir(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("OpenDir of a missing directory succeeded")
	}
}
