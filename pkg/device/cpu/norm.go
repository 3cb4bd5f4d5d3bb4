package cpu

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// BatchNormForward normalises x per channel (see device.Kernels). Statistics
// are computed in float64 with two passes (mean, then squared deviations).
func (d *Device) BatchNormForward(p device.BatchNormParams, x, gamma, beta, runMean, runVar, y device.Buffer) error {
	return d.batchNorm("batch norm forward", bnForward, p, bnBuffers{x: x, gamma: gamma, beta: beta, runMean: runMean, runVar: runVar, out: y},
		[]device.Buffer{x, y}, []device.Buffer{gamma, beta, runMean, runVar})
}

// BatchNormBackwardData computes dx (see device.Kernels).
func (d *Device) BatchNormBackwardData(p device.BatchNormParams, x, gamma, runVar, dy, dx device.Buffer) error {
	return d.batchNorm("batch norm backward data", bnBackwardData, p, bnBuffers{x: x, gamma: gamma, runVar: runVar, dy: dy, out: dx},
		[]device.Buffer{x, dy, dx}, []device.Buffer{gamma, runVar})
}

// BatchNormBackwardGamma computes dgamma[c] = Σ dy·x̂ (see device.Kernels).
func (d *Device) BatchNormBackwardGamma(p device.BatchNormParams, x, runMean, runVar, dy, dgamma device.Buffer) error {
	return d.batchNorm("batch norm backward gamma", bnBackwardGamma, p, bnBuffers{x: x, runMean: runMean, runVar: runVar, dy: dy, out: dgamma},
		[]device.Buffer{x, dy}, []device.Buffer{runMean, runVar, dgamma})
}

// bnBuffers are the operands of a batch-norm kernel; a mode uses some.
type bnBuffers struct {
	x, gamma, beta, runMean, runVar, dy, out device.Buffer
}

// batchNorm checks the operands (full tensors and per-channel vectors) and
// runs mode.
func (d *Device) batchNorm(op string, mode bnMode, p device.BatchNormParams, b bnBuffers, full, perChannel []device.Buffer) error {
	dt, err := channelOperands(op, p.ChannelLayout, full, perChannel)
	if err != nil {
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
	bnForward bnMode = iota
	bnBackwardData
	bnBackwardGamma
)

// bnTask is one batch-norm call; item i is a chunk of channels. out is y,
// dx or dgamma depending on the mode.
type bnTask[T gemm.Float] struct {
	mode                                     bnMode
	p                                        device.BatchNormParams
	chunk                                    int
	x, gamma, beta, runMean, runVar, dy, out []T
}

func runBatchNorm[T gemm.Float](e *engine[T], mode bnMode, p device.BatchNormParams, b bnBuffers) {
	typed := func(b device.Buffer) []T {
		if b == nil {
			return nil
		}
		return elems[T](b)
	}
	t := bnTask[T]{mode: mode, p: p, x: typed(b.x), gamma: typed(b.gamma), beta: typed(b.beta),
		runMean: typed(b.runMean), runVar: typed(b.runVar), dy: typed(b.dy), out: typed(b.out)}
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

// stats returns the mean and the inverse standard deviation used to
// normalise channel c: batch statistics in training (also returning the
// biased variance), running ones in eval.
func (t *bnTask[T]) stats(c int) (mean, inv, variance float64) {
	if !t.p.Training {
		return float64(t.runMean[c]), 1 / math.Sqrt(float64(t.runVar[c])+t.p.Eps), float64(t.runVar[c])
	}
	l := t.p.ChannelLayout
	count := float64(l.Outer * l.Inner)
	mean = channelSum(t.x, l, c) / count
	var ss float64
	for o := range l.Outer {
		for _, v := range t.x[(o*l.C+c)*l.Inner : (o*l.C+c+1)*l.Inner] {
			dv := float64(v) - mean
			ss += dv * dv
		}
	}
	variance = ss / count
	return mean, 1 / math.Sqrt(variance+t.p.Eps), variance
}

func (t *bnTask[T]) channel(c int) {
	l := t.p.ChannelLayout
	rows := func(s []T, o int) []T { return s[(o*l.C+c)*l.Inner : (o*l.C+c+1)*l.Inner] }
	switch t.mode {
	case bnForward:
		mean, inv, variance := t.stats(c)
		scale := float64(t.gamma[c]) * inv
		shift := float64(t.beta[c]) - mean*scale
		for o := range l.Outer {
			y := rows(t.out, o)
			for i, v := range rows(t.x, o) {
				y[i] = T(float64(v)*scale + shift)
			}
		}
		if t.p.Training {
			n := float64(l.Outer * l.Inner)
			m := t.p.Momentum
			t.runMean[c] = T((1-m)*float64(t.runMean[c]) + m*mean)
			t.runVar[c] = T((1-m)*float64(t.runVar[c]) + m*variance*n/(n-1))
		}
	case bnBackwardData:
		if !t.p.Training {
			scale := T(float64(t.gamma[c]) / math.Sqrt(float64(t.runVar[c])+t.p.Eps))
			for o := range l.Outer {
				dx := rows(t.out, o)
				for i, v := range rows(t.dy, o) {
					dx[i] = v * scale
				}
			}
			return
		}
		mean, inv, _ := t.stats(c)
		sumDy, sumDyXhat := t.dyMoments(c, mean, inv)
		n := float64(l.Outer * l.Inner)
		k := float64(t.gamma[c]) * inv / n
		for o := range l.Outer {
			dx, x := rows(t.out, o), rows(t.x, o)
			for i, v := range rows(t.dy, o) {
				xhat := (float64(x[i]) - mean) * inv
				dx[i] = T(k * (n*float64(v) - sumDy - xhat*sumDyXhat))
			}
		}
	case bnBackwardGamma:
		mean, inv, _ := t.stats(c)
		_, sumDyXhat := t.dyMoments(c, mean, inv)
		t.out[c] = T(sumDyXhat)
	}
}

// dyMoments returns Σ dy and Σ dy·x̂ over channel c in float64.
func (t *bnTask[T]) dyMoments(c int, mean, inv float64) (sumDy, sumDyXhat float64) {
	l := t.p.ChannelLayout
	for o := range l.Outer {
		base := (o*l.C + c) * l.Inner
		x := t.x[base : base+l.Inner]
		for i, v := range t.dy[base : base+l.Inner] {
			sumDy += float64(v)
			sumDyXhat += float64(v) * (float64(x[i]) - mean)
		}
	}
	return sumDy, sumDyXhat * inv
}
