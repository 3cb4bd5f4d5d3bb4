package cpu

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// countTask records how often each item ran and on which worker.
type countTask struct {
	counts  []atomic.Int32
	workers int
	bad     atomic.Int32
}

func (c *countTask) run(w, i int) {
	if w < 0 || w >= c.workers {
		c.bad.Add(1)
	}
	c.counts[i].Add(1)
}

// TestPoolRunsEveryItemOnce runs many short runs, with pauses long enough
// for the workers to park between some of them, and checks that every item
// of every run ran exactly once on a valid worker, and that a closed pool
// still runs everything on the caller.
func TestPoolRunsEveryItemOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			p := newPool(workers)
			r := rand.New(rand.NewPCG(1, uint64(workers)))
			check := func(round int) {
				items := r.IntN(3 * workers)
				c := &countTask{counts: make([]atomic.Int32, items), workers: workers}
				p.run(c, items)
				for i := range c.counts {
					if n := c.counts[i].Load(); n != 1 {
						t.Fatalf("round %d: item %d of %d ran %d times", round, i, items, n)
					}
				}
				if c.bad.Load() != 0 {
					t.Fatalf("round %d: worker index out of range", round)
				}
			}
			for round := range 2000 {
				if round%200 == 0 {
					time.Sleep(3 * spinFor)
				}
				check(round)
			}
			p.close()
			c := &countTask{counts: make([]atomic.Int32, 5), workers: 1}
			p.run(c, 5)
			for i := range c.counts {
				if c.counts[i].Load() != 1 || c.bad.Load() != 0 {
					t.Fatalf("after close: item %d ran %d times", i, c.counts[i].Load())
				}
			}
		})
	}
}
