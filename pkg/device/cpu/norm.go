package cpu

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// BatchNormStats computes the per-channel mean and inverse standard
// deviation (see device.Kernels). Batch statistics take two passes in
// float64: the mean, then the squared deviations from it.
func (d *Device) BatchNormStats(p device.BatchNormParams, x, runMean, runVar, stats device.Buffer) error {
	const op = "batch norm stats"
	return d.batchNorm(op, bnStats, p, bnBuffers{x: x, runMean: runMean, runVar: runVar, out: stats},
		[]device.Buffer{x}, []device.Buffer{runMean, runVar}, stats)
}

// BatchNormForward computes y = gamma·(x − mean)·invstd + beta.
func (d *Device) BatchNormForward(p device.BatchNormParams, x, stats, gamma, beta, y device.Buffer) error {
	return d.batchNorm("batch norm forward", bnForward, p, bnBuffers{x: x, stats: stats, gamma: gamma, beta: beta, out: y},
		[]device.Buffer{x, y}, []device.Buffer{gamma, beta}, stats)
}

// BatchNormBackwardGamma computes dgamma[c] = Σ dy·x̂.
func (d *Device) BatchNormBackwardGamma(p device.BatchNormParams, x, stats, dy, dgamma device.Buffer) error {
	return d.batchNorm("batch norm backward gamma", bnBackwardGamma, p, bnBuffers{x: x, stats: stats, dy: dy, out: dgamma},
		[]device.Buffer{x, dy}, []device.Buffer{dgamma}, stats)
}

// BatchNormBackwardData computes dx (see device.Kernels).
func (d *Device) BatchNormBackwardData(p device.BatchNormParams, x, stats, gamma, dgamma, dbeta, dy, dx device.Buffer) error {
	return d.batchNorm("batch norm backward data", bnBackwardData, p,
		bnBuffers{x: x, stats: stats, gamma: gamma, dgamma: dgamma, dbeta: dbeta, dy: dy, out: dx},
		[]device.Buffer{x, dy, dx}, []device.Buffer{gamma, dgamma, dbeta}, stats)
}

// bnBuffers are the operands of a batch-norm kernel; a mode uses some.
type bnBuffers struct {
	x, stats, gamma, beta, runMean, runVar, dgamma, dbeta, dy, out device.Buffer
}

// batchNorm checks the operands (full tensors, per-channel vectors and the
// 2·C statistics) and runs mode.
func (d *Device) batchNorm(op string, mode bnMode, p device.BatchNormParams, b bnBuffers, full, perChannel []device.Buffer, stats device.Buffer) error {
	dt, err := channelOperands(op, p.ChannelLayout, full, perChannel)
	if err != nil {
		return err
	}
	sdt, err := operands(op, stats)
	if err != nil {
		return err
	}
	if sdt != dt {
		return fmt.Errorf("cpu: %s: stats have dtype %v, tensors %v", op, sdt, dt)
	}
	if err := length(op, "stats", stats, 2*p.C); err != nil {
		return err
	}
	if err := checkBatchNorm(op, p); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runBatchNorm(d.f32, mode, p, b)
	} else {
		runBatchNorm(d.f64, mode, p, b)
	}
	return nil
}

func checkBatchNorm(op string, p device.BatchNormParams) error {
	if !(p.Eps >= 0) {
		return fmt.Errorf("cpu: %s: eps %v must be non-negative", op, p.Eps)
	}
	if p.Training && p.Outer*p.Inner < 2 && p.C > 0 {
		return fmt.Errorf("cpu: %s: training needs more than one value per channel, got %d", op, p.Outer*p.Inner)
	}
	return nil
}

type bnMode int

const (
	bnStats bnMode = iota
	bnForward
	bnBackwardGamma
	bnBackwardData
)

// bnTask is one batch-norm call; item i is a chunk of channels, each
// computed in a fixed order. out is stats, y, dgamma or dx by mode.
type bnTask[T gemm.Float] struct {
	mode                                                           bnMode
	p                                                              device.BatchNormParams
	chunk                                                          int
	x, stats, gamma, beta, runMean, runVar, dgamma, dbeta, dy, out []T
}

func runBatchNorm[T gemm.Float](e *workspace[T], mode bnMode, p device.BatchNormParams, b bnBuffers) {
	typed := func(b device.Buffer) []T {
		if b == nil {
			return nil
		}
		return elems[T](b)
	}
	t := bnTask[T]{mode: mode, p: p, x: typed(b.x), stats: typed(b.stats), gamma: typed(b.gamma), beta: typed(b.beta),
		runMean: typed(b.runMean), runVar: typed(b.runVar), dgamma: typed(b.dgamma), dbeta: typed(b.dbeta),
		dy: typed(b.dy), out: typed(b.out)}
	t.chunk = rowsPerChunk(p.Outer * p.Inner)
	e.bn = t
	e.pool.run(&e.bn, (p.C+t.chunk-1)/t.chunk)
	e.bn = bnTask[T]{}
}

func (t *bnTask[T]) run(_, i int) {
	for c := i * t.chunk; c < min((i+1)*t.chunk, t.p.C); c++ {
		t.channel(c)
	}
}

// rows returns channel c's row o of s (Inner elements).
func (t *bnTask[T]) rows(s []T, o, c int) []T {
	l := t.p.ChannelLayout
	return s[(o*l.C+c)*l.Inner:][:l.Inner]
}

func (t *bnTask[T]) channel(c int) {
	l := t.p.ChannelLayout
	if t.mode == bnStats {
		t.channelStats(c)
		return
	}
	mean, inv := float64(t.stats[c]), float64(t.stats[l.C+c])
	switch t.mode {
	case bnForward:
		scale := float64(t.gamma[c]) * inv
		for o := range l.Outer {
			centered(t.rows(t.out, o, c), t.rows(t.x, o, c), mean, scale, float64(t.beta[c]))
		}
	case bnBackwardGamma:
		var s float64
		for o := range l.Outer {
			s += dotdev(t.rows(t.dy, o, c), t.rows(t.x, o, c), mean)
		}
		t.out[c] = T(s * inv)
	case bnBackwardData:
		k := float64(t.gamma[c]) * inv
		if !t.p.Training {
			for o := range l.Outer {
				centered(t.rows(t.out, o, c), t.rows(t.dy, o, c), 0, k, 0)
			}
			return
		}
		// dx = k·(dy − Σdy/m − (x − mean)·inv·dγ/m).
		m := float64(l.Outer * l.Inner)
		b := -k * inv * float64(t.dgamma[c]) / m
		c0 := -k * float64(t.dbeta[c]) / m
		for o := range l.Outer {
			bnGradRows(t.out, t.dy, t.x, o, c, l, mean, k, b, c0)
		}
	}
}

// channelStats writes channel c's mean and inverse standard deviation and,
// in training, updates its running statistics.
func (t *bnTask[T]) channelStats(c int) {
	l := t.p.ChannelLayout
	if !t.p.Training {
		t.out[c] = t.runMean[c]
		t.out[l.C+c] = T(1 / math.Sqrt(float64(t.runVar[c])+t.p.Eps))
		return
	}
	n := float64(l.Outer * l.Inner)
	var s float64
	for o := range l.Outer {
		s += sum(t.rows(t.x, o, c))
	}
	mean := s / n
	var ss float64
	for o := range l.Outer {
		ss += sqdev(t.rows(t.x, o, c), mean)
	}
	variance := ss / n
	t.out[c] = T(mean)
	t.out[l.C+c] = T(1 / math.Sqrt(variance+t.p.Eps))
	m := t.p.Momentum
	t.runMean[c] = T((1-m)*float64(t.runMean[c]) + m*mean)
	t.runVar[c] = T((1-m)*float64(t.runVar[c]) + m*variance*n/(n-1))
}

// The row helpers below run float32 rows of at least vecRowMin elements in
// the vector loops of vec.go, shorter ones (and float64) in plain Go.

// sum returns Σ x in float64.
func sum[T gemm.Float](x []T) float64 {
	if x32, ok := any(x).([]float32); ok && len(x) >= vecRowMin {
		return sum32(x32)
	}
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// sqdev returns Σ (x − mean)² in float64.
func sqdev[T gemm.Float](x []T, mean float64) float64 {
	if x32, ok := any(x).([]float32); ok && len(x) >= vecRowMin {
		return sqdev32(x32, mean)
	}
	var s float64
	for _, v := range x {
		d := float64(v) - mean
		s += d * d
	}
	return s
}

// dotdev returns Σ dy·(x − mean) in float64.
func dotdev[T gemm.Float](dy, x []T, mean float64) float64 {
	if dy32, ok := any(dy).([]float32); ok && len(dy) >= vecRowMin {
		return dotdev32(dy32, any(x).([]float32), mean)
	}
	x = x[:len(dy)]
	var s float64
	for i, v := range dy {
		s += float64(v) * (float64(x[i]) - mean)
	}
	return s
}

// centered sets y = a·(x − m) + b: in float32 with one FMA per element for
// float32 tensors, in float64 otherwise.
func centered[T gemm.Float](y, x []T, m, a, b float64) {
	if y32, ok := any(y).([]float32); ok && len(y) >= vecRowMin {
		centered32(y32, any(x).([]float32), float32(m), float32(a), float32(b))
		return
	}
	x = x[:len(y)]
	for i, v := range x {
		y[i] = T(a*(float64(v)-m) + b)
	}
}

// bnGradRows sets row o of channel c of dx to a·dy + b·(x − m) + c0
// (float32 FMAs for float32 tensors).
func bnGradRows[T gemm.Float](dx, dy, x []T, o, ch int, l device.ChannelLayout, m, a, b, c0 float64) {
	off := (o*l.C + ch) * l.Inner
	dx, dy, x = dx[off:][:l.Inner], dy[off:][:l.Inner], x[off:][:l.Inner]
	if dx32, ok := any(dx).([]float32); ok && len(dx) >= vecRowMin {
		bndx32(dx32, any(dy).([]float32), any(x).([]float32), float32(m), float32(a), float32(b), float32(c0))
		return
	}
	for i := range dx {
		dx[i] = T(a*float64(dy[i]) + b*(float64(x[i])-m) + c0)
	}
}
