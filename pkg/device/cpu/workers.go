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

// spinFor is how long an idle worker polls for its next token, and the
// caller for its helpers' done tokens, before blocking on the channel. A
// training step launches kernels microseconds apart, while waking a blocked
// goroutine cost tens of microseconds on the 2-vCPU VMs this was measured
// on: a 16.7 MFLOP block-diagonal pass split over two blocked workers ran
// slower than on one.
const spinFor = 50 * time.Microsecond

// pool is a persistent set of worker goroutines. The calling goroutine works
// as worker 0, so a pool of one worker starts no goroutine. Each run hands
// every helper one token on its wake channel and collects one token per
// helper on done; both sides poll their channel for spinFor before
// blocking, so back-to-back runs wake no parked goroutine. Items are handed
// out dynamically through an atomic counter; run allocates nothing.
type pool struct {
	workers int
	wake    []chan struct{} // capacity 1
	done    chan struct{}   // capacity workers
	t       task
	items   int64
	next    atomic.Int64
}

func newPool(workers int) *pool {
	p := &pool{workers: workers, wake: make([]chan struct{}, workers), done: make(chan struct{}, workers)}
	for w := 1; w < workers; w++ {
		p.wake[w] = make(chan struct{}, 1)
		go p.loop(w)
	}
	return p
}

func (p *pool) loop(w int) {
	for receive(p.wake[w]) {
		p.drain(w)
		p.done <- struct{}{}
	}
}

// receive takes one token from c, polling for spinFor before blocking; it
// reports false once c is closed.
func receive(c chan struct{}) bool {
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case _, ok := <-c:
			return ok
		default:
		}
		if i%64 == 0 {
			if time.Since(start) > spinFor {
				_, ok := <-c
				return ok
			}
			runtime.Gosched()
		}
	}
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
	for w := 1; w <= helpers; w++ {
		p.wake[w] <- struct{}{}
	}
	p.drain(0)
	for range helpers {
		receive(p.done)
	}
	p.t = nil
}

// close stops the worker goroutines; later runs use the caller alone.
func (p *pool) close() {
	for w := 1; w < p.workers; w++ {
		close(p.wake[w])
	}
	p.workers = 1
}
