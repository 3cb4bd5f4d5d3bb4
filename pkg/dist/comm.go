package dist

import (
	"errors"
	"fmt"
	"os"
)

// Comm is a communicator over the ranks of one job. Every rank must make the
// same calls in the same order with buffers of equal length: a collective
// call returns once every rank has made it.
type Comm interface {
	// Rank is this process's index in [0, Size()).
	Rank() int
	// Size is the number of ranks.
	Size() int
	// AllReduceSum32 replaces x, on every rank, by its element-wise sum
	// over the ranks.
	AllReduceSum32(x []float32) error
	// AllReduceSum64 is AllReduceSum32 for float64.
	AllReduceSum64(x []float64) error
	// Broadcast copies root's b into b on every other rank.
	Broadcast(b []byte, root int) error
	// Close leaves the job (MPI_Finalize); the Comm is unusable after.
	// Every rank must call it: it waits for the others.
	Close() error
	// Abort ends every process of the job at once with exit status code
	// (MPI_Abort), for an error that this rank alone has met: the other
	// ranks may be waiting in a collective it will never join, so Close
	// would wait for ever. It does not return.
	Abort(code int)
}

// Single is the world of one process: every collective is the identity.
type Single struct{}

// Rank is 0.
func (Single) Rank() int { return 0 }

// Size is 1.
func (Single) Size() int { return 1 }

// AllReduceSum32 leaves x as it is: the sum over one rank.
func (Single) AllReduceSum32([]float32) error { return nil }

// AllReduceSum64 leaves x as it is.
func (Single) AllReduceSum64([]float64) error { return nil }

// Broadcast checks that root is rank 0 and leaves b as it is.
func (Single) Broadcast(_ []byte, root int) error {
	if root != 0 {
		return fmt.Errorf("dist: broadcast from rank %d in a world of one process", root)
	}
	return nil
}

// Close does nothing.
func (Single) Close() error { return nil }

// Abort ends the process with exit status code.
func (Single) Abort(code int) { os.Exit(code) }

// ErrIndivisible is wrapped by Shard's error when a global batch cannot be
// split evenly over the ranks.
var ErrIndivisible = errors.New("global batch not divisible by the number of ranks")

// Shard returns the half-open range [lo, hi) of positions in a global batch
// of batch examples that rank trains on out of size ranks: equal contiguous
// slices in rank order, so the ranks together see the whole batch once.
func Shard(batch, rank, size int) (lo, hi int, err error) {
	switch {
	case size < 1 || rank < 0 || rank >= size:
		return 0, 0, fmt.Errorf("dist: rank %d of %d ranks", rank, size)
	case batch < size || batch%size != 0:
		return 0, 0, fmt.Errorf("dist: %w: batch %d over %d ranks", ErrIndivisible, batch, size)
	}
	per := batch / size
	return rank * per, (rank + 1) * per, nil
}
