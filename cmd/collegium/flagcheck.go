package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Flag checks run before a command does any work, so that a bad value
// fails in a second with an error naming the flag, not after a long
// measurement, and never turns silently into a default.

// atLeast checks an integer flag's lower bound.
func atLeast(flag string, v, lo int) error {
	if v < lo {
		return fmt.Errorf("--%s %d: must be ≥ %d", flag, v, lo)
	}
	return nil
}

// zeroOrAtLeast checks an integer flag whose 0 means "the default".
func zeroOrAtLeast(flag string, v, lo int) error {
	if v != 0 && v < lo {
		return fmt.Errorf("--%s %d: must be 0 (the default) or ≥ %d", flag, v, lo)
	}
	return nil
}

// finiteAtLeast0 checks a float flag that must be a finite number ≥ 0.
func finiteAtLeast0(flag string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("--%s %v: must be a finite number ≥ 0", flag, v)
	}
	return nil
}

// outputFile checks that path (if set) can be created: its directory
// exists and it is not itself a directory.
func outputFile(flag, path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("--%s %s: directory %s does not exist", flag, path, filepath.Dir(path))
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--%s %s: is a directory", flag, path)
	}
	return nil
}

// outputDir checks that path (if set) is a directory or can be made one.
func outputDir(flag, path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--%s %s: exists and is not a directory", flag, path)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--%s: %w", flag, err)
	}
	return nil
}
