package ntk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Cache stores measured Summaries on disk under Dir, one JSON file per key,
// so that a second search or report reuses the Monte Carlo. An empty Dir
// disables it.
type Cache struct {
	Dir string
}

// DefaultCacheDir is $XDG_CACHE_HOME/collegium/ntk, or the user cache
// directory's collegium/ntk.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("ntk: cache directory: %w", err)
		}
		base = d
	}
	return filepath.Join(base, "collegium", "ntk"), nil
}

// Measurement names one Monte-Carlo measurement completely: what network,
// which output, which inputs, how many samples and seeds. It is the cache
// key.
type Measurement struct {
	// Network describes the architecture (e.g. a models.Spec or a path).
	Network any    `json:"network"`
	Output  Output `json:"output"`
	Inputs  Inputs `json:"inputs"`
	Samples int    `json:"samples"`
	Seed    uint64 `json:"seed"`
}

func (c Cache) path(m Measurement) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("ntk: cache key: %w", err)
	}
	h := sha256.Sum256(b)
	return filepath.Join(c.Dir, hex.EncodeToString(h[:16])+".json"), nil
}

// Load returns the cached summary of m, if any.
func (c Cache) Load(m Measurement) (Summary, bool, error) {
	if c.Dir == "" {
		return Summary{}, false, nil
	}
	p, err := c.path(m)
	if err != nil {
		return Summary{}, false, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Summary{}, false, nil
	}
	if err != nil {
		return Summary{}, false, fmt.Errorf("ntk: cache: %w", err)
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return Summary{}, false, fmt.Errorf("ntk: cache %s: %w", p, err)
	}
	return e.Summary, true, nil
}

// Store writes the summary of m, atomically.
func (c Cache) Store(m Measurement, s Summary) error {
	if c.Dir == "" {
		return nil
	}
	p, err := c.path(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	b, err := json.MarshalIndent(cacheEntry{Measurement: m, Summary: s}, "", "  ")
	if err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("ntk: cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	return nil
}

// cacheEntry keeps the key beside the value, so files can be read by eye.
type cacheEntry struct {
	Measurement Measurement `json:"measurement"`
	Summary     Summary     `json:"summary"`
}
