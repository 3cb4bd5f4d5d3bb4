package cpu

import "sync/atomic"

// task is a unit of parallel work: run computes item i on worker w, where
// w < the pool's worker count indexes per-worker scratch.
type task interface {
	run(w, i int)
}

// pool is a persistent set of worker goroutines. The calling goroutine works
// as worker 0, so a pool of one worker starts no goroutine. Items are handed
// out dynamically through an atomic counter; run allocates nothing.
type pool struct {
	workers int
	wake    []chan struct{}
	done    chan struct{}
	t       task
	items   int64
	next    atomic.Int64
}

func newPool(workers int) *pool {
	p := &pool{workers: workers, wake: make([]chan struct{}, workers), done: make(chan struct{}, workers)}
	for w := 1; w < workers; w++ {
		p.wake[w] = make(chan struct{})
		go p.loop(w)
	}
	return p
}

func (p *pool) loop(w int) {
	for range p.wake[w] {
		p.drain(w)
		p.done <- struct{}{}
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
		<-p.done
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
