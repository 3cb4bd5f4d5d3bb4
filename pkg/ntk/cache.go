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

	"github.com/collegium/collegium/internal/atomicfile"
)

// Cache stores the Monte-Carlo draws of measurements on disk under Dir, one
// JSON file per Measurement holding its kernels in seed order, so that a
// later search or report reuses them and a sequential measurement can
// continue where an earlier one stopped. An empty Dir disables it.
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

// Measurement names one Monte-Carlo stream completely: what network,
// which output, which inputs, which seeds, in which precision and BN mode.
// Sample i of the stream is always drawn with SampleSeed(Seed, i), so any
// number of samples is a prefix of the same stream. It is the cache key.
type Measurement struct {
	// Network describes the architecture (e.g. a models.Spec or a path).
	Network any    `json:"network"`
	Output  Output `json:"output"`
	Inputs  Inputs `json:"inputs"`
	Seed    uint64 `json:"seed"`
	// Precision is the graph's dtype, "float32" or "float64" (empty).
	Precision string `json:"precision,omitempty"`
	// BatchStats measures the train-mode kernel (BN on the statistics of
	// the batch of all inputs) instead of the eval-mode one.
	BatchStats bool `json:"batch_stats,omitempty"`
}

func (c Cache) path(m Measurement) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("ntk: cache key: %w", err)
	}
	h := sha256.Sum256(b)
	return filepath.Join(c.Dir, "stream-"+hex.EncodeToString(h[:16])+".json"), nil
}

// Load returns the cached draws of m, the first samples of its stream
// (none when absent).
func (c Cache) Load(m Measurement) (Samples, error) {
	if c.Dir == "" {
		return Samples{}, nil
	}
	p, err := c.path(m)
	if err != nil {
		return Samples{}, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Samples{}, nil
	}
	if err != nil {
		return Samples{}, fmt.Errorf("ntk: cache: %w", err)
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return Samples{}, fmt.Errorf("ntk: cache %s: %w", p, err)
	}
	for i, k := range e.Samples.Kernels {
		if len(k) != e.Samples.Inputs*e.Samples.Inputs {
			return Samples{}, fmt.Errorf("ntk: cache %s: kernel %d has %d entries for %d inputs", p, i, len(k), e.Samples.Inputs)
		}
	}
	return e.Samples, nil
}

// Store writes the draws of m atomically, unless the cache already holds
// at least as many (another process may have drawn further: the longer
// prefix of the same stream is kept).
func (c Cache) Store(m Measurement, s Samples) error {
	if c.Dir == "" {
		return nil
	}
	if have, err := c.Load(m); err == nil && len(have.Kernels) >= len(s.Kernels) {
		return nil
	}
	p, err := c.path(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	b, err := json.Marshal(cacheEntry{Measurement: m, Samples: s})
	if err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	if err := atomicfile.WriteBytes(p, b); err != nil {
		return fmt.Errorf("ntk: cache: %w", err)
	}
	return nil
}

// cacheEntry keeps the key beside the draws, so files can be read by eye.
type cacheEntry struct {
	Measurement Measurement `json:"measurement"`
	Samples     Samples     `json:"samples"`
}
