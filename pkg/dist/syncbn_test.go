package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// goroutineWorld is a test stand-in for MPI: size goroutines in one
// process, each holding a Comm whose all-reduce waits for all of them.
type goroutineWorld struct {
	size    int
	mu      sync.Mutex
	cond    *sync.Cond
	arrived int
	round   int
	sum     []float64
	result  []float64
}

type goroutineComm struct {
	w    *goroutineWorld
	rank int
}

func newGoroutineWorld(size int) []Comm {
	w := &goroutineWorld{size: size}
	w.cond = sync.NewCond(&w.mu)
	comms := make([]Comm, size)
	for r := range size {
		comms[r] = &goroutineComm{w, r}
	}
	return comms
}

func (c *goroutineComm) Rank() int { return c.rank }
func (c *goroutineComm) Size() int { return c.w.size }

func (c *goroutineComm) AllReduceSum64(x []float64) error {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	round := w.round
	if w.arrived == 0 {
		w.sum = make([]float64, len(x))
	}
	for i, v := range x {
		w.sum[i] += v
	}
	w.arrived++
	if w.arrived == w.size {
		w.result, w.arrived = w.sum, 0
		w.round++
		w.cond.Broadcast()
	}
	for w.round == round {
		w.cond.Wait()
	}
	copy(x, w.result)
	return nil
}

func (c *goroutineComm) AllReduceSum32(x []float32) error {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	if err := c.AllReduceSum64(y); err != nil {
		return err
	}
	for i, v := range y {
		x[i] = float32(v)
	}
	return nil
}

// Broadcast sums root's bytes with every other rank's zeros.
func (c *goroutineComm) Broadcast(b []byte, root int) error {
	x := make([]float64, len(b))
	if c.rank == root {
		for i, v := range b {
			x[i] = float64(v)
		}
	}
	if err := c.AllReduceSum64(x); err != nil {
		return err
	}
	for i, v := range x {
		b[i] = byte(v)
	}
	return nil
}

func (c *goroutineComm) Close() error { return nil }
func (c *goroutineComm) Abort(code int) {
	panic(fmt.Sprintf("rank %d aborted with %d", c.rank, code))
}

// bnResult is what one BN training step produces.
type bnResult struct {
	y, dx, dgamma, runMean, runVar []float64
}

// bnStep runs BN forward (training), backward data and backward gamma on
// dev for x and dy of layout l.
func bnStep(t *testing.T, dev device.Device, dt tensor.Dtype, l device.ChannelLayout, x, gamma, beta, dy []float64) bnResult {
	t.Helper()
	p := device.BatchNormParams{ChannelLayout: l, Eps: 1e-5, Momentum: 0.1, Training: true}
	up := func(v []float64) device.Buffer {
		b, err := dev.Alloc(dt, len(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := upload(dev, b, v); err != nil {
			t.Fatal(err)
		}
		return b
	}
	run := make([]float64, l.C)
	ones := make([]float64, l.C)
	for i := range ones {
		ones[i] = 1
	}
	xb, gb, bb, yb, dyb, dxb := up(x), up(gamma), up(beta), up(x), up(dy), up(x)
	rm, rv, dg, db, stats := up(run), up(ones), up(run), up(run), up(append(run, run...))
	for _, err := range []error{
		dev.BatchNormStats(p, xb, rm, rv, stats),
		dev.BatchNormForward(p, xb, stats, gb, bb, yb),
		dev.BiasGrad(l, dyb, db),
		dev.BatchNormBackwardGamma(p, xb, stats, dyb, dg),
		dev.BatchNormBackwardData(p, xb, stats, gb, dg, db, dyb, dxb),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	r := bnResult{make([]float64, len(x)), make([]float64, len(x)), make([]float64, l.C), make([]float64, l.C), make([]float64, l.C)}
	for _, d := range []struct {
		dst []float64
		src device.Buffer
	}{{r.y, yb}, {r.dx, dxb}, {r.dgamma, dg}, {r.runMean, rm}, {r.runVar, rv}} {
		if err := download(dev, d.dst, d.src); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}

// TestSyncBNEqualsWholeBatch splits a batch over 1, 2 and 4 ranks and checks
// that synchronised BN gives each rank its slice of the whole batch's y and
// dx, the same running statistics, and dγ whose sum over ranks is the whole
// batch's; and that per-rank BN (no sync) does not.
func TestSyncBNEqualsWholeBatch(t *testing.T) {
	l := device.ChannelLayout{Outer: 8, C: 3, Inner: 5}
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(n int, shift float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64() + shift
		}
		return v
	}
	x, dy := gen(l.Len(), 0), gen(l.Len(), 0)
	// ranks see different distributions, so per-rank statistics differ
	for i := l.Len() / 2; i < l.Len(); i++ {
		x[i] = 3*x[i] + 2
	}
	gamma, beta := gen(l.C, 1), gen(l.C, 0)
	for _, c := range []struct {
		dt  tensor.Dtype
		tol float64
	}{{tensor.Float64, 1e-12}, {tensor.Float32, 2e-5}} {
		dev := cpu.New(1)
		want := bnStep(t, dev, c.dt, l, x, gamma, beta, dy)
		for _, size := range []int{1, 2, 4} {
			part := device.ChannelLayout{Outer: l.Outer / size, C: l.C, Inner: l.Inner}
			results := make([]bnResult, size)
			var wg sync.WaitGroup
			for rank, comm := range newGoroutineWorld(size) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sb := SyncBN(cpu.New(1), comm)
					defer sb.Release()
					lo, hi := rank*part.Len(), (rank+1)*part.Len()
					results[rank] = bnStep(t, sb, c.dt, part, x[lo:hi], gamma, beta, dy[lo:hi])
				}()
			}
			wg.Wait()
			var y, dx []float64
			dgamma := make([]float64, l.C)
			for _, r := range results {
				y, dx = append(y, r.y...), append(dx, r.dx...)
				for j, v := range r.dgamma {
					dgamma[j] += v
				}
				near(t, "running mean", r.runMean, want.runMean, c.tol)
				near(t, "running var", r.runVar, want.runVar, c.tol)
			}
			near(t, "y", y, want.y, c.tol)
			near(t, "dx", dx, want.dx, c.tol)
			near(t, "dgamma", dgamma, want.dgamma, c.tol)
		}
		// Without synchronisation the second half is normalised by its
		// own statistics: the test's inputs tell the two apart.
		half := device.ChannelLayout{Outer: l.Outer / 2, C: l.C, Inner: l.Inner}
		own := bnStep(t, dev, c.dt, half, x[half.Len():], gamma, beta, dy[half.Len():])
		if math.Abs(own.y[0]-want.y[half.Len()]) < 0.1 {
			t.Errorf("%v: per-rank BN matches the whole batch's (%g vs %g): the test cannot tell sync from no sync", c.dt, own.y[0], want.y[half.Len()])
		}
	}
}

func TestSyncBNNeedsTwoValues(t *testing.T) {
	sb := SyncBN(cpu.New(1), Single{})
	defer sb.Release()
	l := device.ChannelLayout{Outer: 1, C: 2, Inner: 1}
	p := device.BatchNormParams{ChannelLayout: l, Eps: 1e-5, Momentum: 0.1, Training: true}
	b := func(n int) device.Buffer {
		buf, err := sb.Alloc(tensor.Float32, n)
		if err != nil {
			t.Fatal(err)
		}
		return buf
	}
	err := sb.BatchNormStats(p, b(2), b(2), b(2), b(4))
	if err == nil || !contains(err.Error(), "the variance needs 2") {
		t.Errorf("BN of one value per channel: %v", err)
	}
}
