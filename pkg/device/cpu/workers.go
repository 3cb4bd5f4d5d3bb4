package cpu

import (
	"runtime"
	"sync/atomic"
	"time"
)

// task is a unit of parallel work: run computes item i on worker w, where
// w < the pool's worker count indexes per-worker scratch.
type task interface {
	run(w, i int)
}

// spinFor is how long an idle worker polls for the next run, and the caller
// for the helpers to finish, before parking on a channel. A training step
// launches kernels microseconds apart, while waking a parked goroutine cost
// tens of microseconds on the 2-vCPU VMs this was measured on: a 16.7 MFLOP
// block-diagonal pass split over two parked workers ran slower than on one.
const spinFor = 50 * time.Microsecond

// Worker states: a parked worker waits on its wake channel, and whoever
// moves it back to spinning (a run, or close) owes it one token there.
const (
	workerSpinning int32 = iota
	workerParked
)

// helperBits is the width of the helper count in an announcement.
const helperBits = 16

// pool is a persistent set of worker goroutines. The calling goroutine works
// as worker 0, so a pool of one worker starts no goroutine. A run is
// announced through one atomic word (run number and how many helpers take
// part); idle workers poll it for spinFor, then park. Items are handed out
// dynamically through an atomic counter; run allocates nothing.
type pool struct {
	workers int
	runs    uint64
	gen     atomic.Uint64 // runs<<helperBits | helpers of the current run
	state   []atomic.Int32
	wake    []chan struct{} // capacity 1
	pending atomic.Int32    // helpers of the current run still working
	waiting atomic.Bool     // the caller is parked on done
	done    chan struct{}   // capacity 1
	stop    atomic.Bool
	t       task
	items   int64
	next    atomic.Int64
}

func newPool(workers int) *pool {
	p := &pool{workers: workers, state: make([]atomic.Int32, workers), wake: make([]chan struct{}, workers),
		done: make(chan struct{}, 1)}
	for w := 1; w < workers; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.loop(w)
	}
	return p
}

func (p *pool) loop(w int) {
	var seen uint64
	for {
		g, ok := p.await(w, seen)
		if !ok {
			return
		}
		seen = g
		if int(g&(1<<helperBits-1)) >= w {
			p.drain(w)
			p.finish()
		}
	}
}

// await returns the first announcement other than seen, or false once the
// pool is closed.
func (p *pool) await(w int, seen uint64) (uint64, bool) {
	start := time.Now()
	for i := 1; ; i++ {
		if p.stop.Load() {
			return 0, false
		}
		if g := p.gen.Load(); g != seen {
			return g, true
		}
		if i%64 == 0 {
			if time.Since(start) > spinFor {
				break
			}
			runtime.Gosched()
		}
	}
	p.state[w].Store(workerParked)
	if g := p.gen.Load(); g != seen || p.stop.Load() {
		if p.state[w].CompareAndSwap(workerParked, workerSpinning) {
			return g, !p.stop.Load()
		}
		// A run or close moved us back first; its token is on the way.
	}
	<-p.wake[w]
	if p.stop.Load() {
		return 0, false
	}
	return p.gen.Load(), true
}

func (p *pool) drain(w int) {
	for {
		i := p.next.Add(1) - 1
		if i >= p.items {
			return
		}
		p.t.run(w, int(i))
	}
}

// finish reports one helper done, waking the caller if it parked.
func (p *pool) finish() {
	if p.pending.Add(-1) == 0 && p.waiting.CompareAndSwap(true, false) {
		p.done <- struct{}{}
	}
}

// run computes items 0..items-1 of t on all workers and returns when all are
// done. Callers serialise calls (the Device's mutex).
func (p *pool) run(t task, items int) {
	helpers := min(p.workers, items) - 1
	if helpers <= 0 {
		for i := range items {
			t.run(0, i)
		}
		return
	}
	p.t, p.items = t, int64(items)
	p.next.Store(0)
	p.pending.Store(int32(helpers))
	p.runs++
	p.gen.Store(p.runs<<helperBits | uint64(helpers))
	for w := 1; w <= helpers; w++ {
		if p.state[w].CompareAndSwap(workerParked, workerSpinning) {
			p.wake[w] <- struct{}{}
		}
	}
	p.drain(0)
	p.wait()
	p.t = nil
}

// wait returns once every helper of the current run has finished.
func (p *pool) wait() {
	start := time.Now()
	for i := 1; p.pending.Load() != 0; i++ {
		if i%64 == 0 && time.Since(start) > spinFor {
			p.waiting.Store(true)
			if p.pending.Load() == 0 && p.waiting.CompareAndSwap(true, false) {
				return
			}
			<-p.done
			return
		}
	}
}

// close stops the worker goroutines; later runs use the caller alone.
func (p *pool) close() {
	p.stop.Store(true)
	for w := 1; w < p.workers; w++ {
		if p.state[w].CompareAndSwap(workerParked, workerSpinning) {
			p.wake[w] <- struct{}{}
		}
	}
	p.workers = 1
}
