package dist

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// SyncBNDevice is a Device whose training-mode batch normalisation uses the
// statistics of the global batch, gathered from every rank, instead of
// those of the rank's own share (PyTorch's SyncBatchNorm). Every other
// kernel, and BN in eval mode, is the wrapped device's.
//
// Each BN call first computes the rank's per-channel mean and variance with
// the wrapped device's own kernel, then all-reduces the per-channel sums of
// x and x² (and, going backward, of dy and dy·x̂) over the ranks, and
// finishes with the wrapped device's eval-mode kernels fed the global
// statistics: y = γ·x̂ + β and
// dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)), the means over the global batch.
// dγ and dβ stay this rank's sums: the gradient averaging over ranks that
// follows makes them the global batch's.
type SyncBNDevice struct {
	device.Device
	comm Comm
	// scratch holds one buffer per dtype and length, reused across calls.
	scratch map[scratchKey]device.Buffer
}

type scratchKey struct {
	dt tensor.Dtype
	n  int
	id int // several buffers of one shape within a call
}

// SyncBN wraps dev so that its training-mode BN is synchronised over c.
// Release frees its scratch buffers.
func SyncBN(dev device.Device, c Comm) *SyncBNDevice {
	return &SyncBNDevice{Device: dev, comm: c, scratch: map[scratchKey]device.Buffer{}}
}

// Release frees the scratch buffers (the wrapped device stays open).
func (s *SyncBNDevice) Release() {
	for k, b := range s.scratch {
		s.Device.Free(b)
		delete(s.scratch, k)
	}
}

// Scratch buffer ids per length.
const (
	bufOnes = iota
	bufZeros
	bufMean
	bufVar
	bufA
	bufB
	bufSum1
	bufSum2
	bufTemp
)

func (s *SyncBNDevice) buffer(dt tensor.Dtype, n, id int) (device.Buffer, error) {
	k := scratchKey{dt, n, id}
	if b, ok := s.scratch[k]; ok {
		return b, nil
	}
	b, err := s.Device.Alloc(dt, n)
	if err != nil {
		return nil, fmt.Errorf("sync BN: scratch buffer: %w", err)
	}
	s.scratch[k] = b
	return b, nil
}

// globalStats holds the statistics of the global batch for one BN call: on
// the device the mean and biased variance (what normalisation uses), on the
// host the unbiased variance (what the running estimate takes) and the
// number of values per channel.
type globalStats struct {
	mean, variance device.Buffer
	hostMean       []float64
	unbiased       []float64
	count          float64
}

// stats computes the global batch's per-channel statistics of x; out (the
// size of x) is overwritten.
func (s *SyncBNDevice) stats(p device.BatchNormParams, x, out device.Buffer) (globalStats, error) {
	c, dt := p.C, x.Dtype()
	n := float64(p.Outer * p.Inner)
	if n < 2 {
		return globalStats{}, fmt.Errorf("sync BN: %d values per channel on this rank; the variance needs 2", int(n))
	}
	var bufs [4]device.Buffer
	for i := range bufs {
		b, err := s.buffer(dt, c, bufOnes+i)
		if err != nil {
			return globalStats{}, err
		}
		bufs[i] = b
	}
	ones, zeros, mean, variance := bufs[0], bufs[1], bufs[2], bufs[3]
	if err := s.Device.Fill(ones, 1); err != nil {
		return globalStats{}, err
	}
	if err := s.Device.Fill(zeros, 0); err != nil {
		return globalStats{}, err
	}
	// With momentum 1 the running statistics become this rank's batch
	// mean and unbiased variance.
	local := p
	local.Momentum, local.Training = 1, true
	if err := s.Device.BatchNormForward(local, x, ones, zeros, mean, variance, out); err != nil {
		return globalStats{}, fmt.Errorf("sync BN: local statistics: %w", err)
	}
	m, v := make([]float64, c), make([]float64, c)
	if err := download(s.Device, m, mean); err != nil {
		return globalStats{}, err
	}
	if err := download(s.Device, v, variance); err != nil {
		return globalStats{}, err
	}
	sums := make([]float64, 2*c+1)
	for j := range c {
		sums[j] = n * m[j]
		sums[c+j] = (n-1)*v[j] + n*m[j]*m[j]
	}
	sums[2*c] = n
	if err := s.comm.AllReduceSum64(sums); err != nil {
		return globalStats{}, fmt.Errorf("sync BN: %w", err)
	}
	total := sums[2*c]
	g := globalStats{hostMean: make([]float64, c), unbiased: make([]float64, c), count: total}
	biased := make([]float64, c)
	for j := range c {
		g.hostMean[j] = sums[j] / total
		biased[j] = math.Max(sums[c+j]/total-g.hostMean[j]*g.hostMean[j], 0)
		g.unbiased[j] = biased[j] * total / (total - 1)
	}
	if err := upload(s.Device, mean, g.hostMean); err != nil {
		return globalStats{}, err
	}
	if err := upload(s.Device, variance, biased); err != nil {
		return globalStats{}, err
	}
	g.mean, g.variance = mean, variance
	return g, nil
}

// BatchNormForward normalises by the global batch's statistics in training
// mode and updates the running statistics with them.
func (s *SyncBNDevice) BatchNormForward(p device.BatchNormParams, x, gamma, beta, runMean, runVar, y device.Buffer) error {
	if !p.Training {
		return s.Device.BatchNormForward(p, x, gamma, beta, runMean, runVar, y)
	}
	g, err := s.stats(p, x, y)
	if err != nil {
		return err
	}
	eval := p
	eval.Training = false
	if err := s.Device.BatchNormForward(eval, x, gamma, beta, g.mean, g.variance, y); err != nil {
		return err
	}
	for _, r := range []struct {
		run   device.Buffer
		batch []float64
	}{{runMean, g.hostMean}, {runVar, g.unbiased}} {
		cur := make([]float64, p.C)
		if err := download(s.Device, cur, r.run); err != nil {
			return err
		}
		for j := range cur {
			cur[j] = (1-p.Momentum)*cur[j] + p.Momentum*r.batch[j]
		}
		if err := upload(s.Device, r.run, cur); err != nil {
			return err
		}
	}
	return nil
}

// BatchNormBackwardData computes dx through the global batch's statistics
// in training mode.
func (s *SyncBNDevice) BatchNormBackwardData(p device.BatchNormParams, x, gamma, runVar, dy, dx device.Buffer) error {
	if !p.Training {
		return s.Device.BatchNormBackwardData(p, x, gamma, runVar, dy, dx)
	}
	g, err := s.stats(p, x, dx)
	if err != nil {
		return err
	}
	c, dt := p.C, x.Dtype()
	var bufs [4]device.Buffer
	for i, id := range []int{bufSum1, bufSum2, bufA, bufB} {
		if bufs[i], err = s.buffer(dt, c, id); err != nil {
			return err
		}
	}
	sumDy, sumDyXhat, a, b := bufs[0], bufs[1], bufs[2], bufs[3]
	eval := p
	eval.Training = false
	if err := s.Device.BiasGrad(p.ChannelLayout, dy, sumDy); err != nil {
		return err
	}
	if err := s.Device.BatchNormBackwardGamma(eval, x, g.mean, g.variance, dy, sumDyXhat); err != nil {
		return err
	}
	sums := make([]float64, 2*c)
	if err := download(s.Device, sums[:c], sumDy); err != nil {
		return err
	}
	if err := download(s.Device, sums[c:], sumDyXhat); err != nil {
		return err
	}
	if err := s.comm.AllReduceSum64(sums); err != nil {
		return fmt.Errorf("sync BN: %w", err)
	}
	for j := range sums {
		sums[j] /= g.count
	}
	if err := upload(s.Device, a, sums[:c]); err != nil {
		return err
	}
	if err := upload(s.Device, b, sums[c:]); err != nil {
		return err
	}
	// t = mean(dy·x̂)·x̂ + mean(dy), then dy − t, then dx = (dy − t)·γ/σ.
	t, err := s.buffer(dt, x.Len(), bufTemp)
	if err != nil {
		return err
	}
	if err := s.Device.BatchNormForward(eval, x, b, a, g.mean, g.variance, t); err != nil {
		return err
	}
	if err := s.Device.Scale(-1, t, t); err != nil {
		return err
	}
	if err := s.Device.Add(dy, t, t); err != nil {
		return err
	}
	return s.Device.BatchNormBackwardData(eval, x, gamma, g.variance, t, dx)
}

// BatchNormBackwardGamma computes this rank's dγ = Σ dy·x̂ with x̂ normalised
// by the global batch's statistics in training mode.
func (s *SyncBNDevice) BatchNormBackwardGamma(p device.BatchNormParams, x, runMean, runVar, dy, dgamma device.Buffer) error {
	if !p.Training {
		return s.Device.BatchNormBackwardGamma(p, x, runMean, runVar, dy, dgamma)
	}
	t, err := s.buffer(x.Dtype(), x.Len(), bufTemp)
	if err != nil {
		return err
	}
	g, err := s.stats(p, x, t)
	if err != nil {
		return err
	}
	eval := p
	eval.Training = false
	return s.Device.BatchNormBackwardGamma(eval, x, g.mean, g.variance, dy, dgamma)
}

// download copies a buffer of either dtype into float64 values.
func download(dev device.Device, dst []float64, src device.Buffer) error {
	var err error
	if src.Dtype() == tensor.Float64 {
		err = dev.Download(dst, src)
	} else {
		f := make([]float32, len(dst))
		err = dev.Download(f, src)
		for i, v := range f {
			dst[i] = float64(v)
		}
	}
	if err != nil {
		return fmt.Errorf("sync BN: download: %w", err)
	}
	return nil
}

// upload copies float64 values into a buffer of either dtype.
func upload(dev device.Device, dst device.Buffer, src []float64) error {
	var err error
	if dst.Dtype() == tensor.Float64 {
		err = dev.Upload(dst, src)
	} else {
		f := make([]float32, len(src))
		for i, v := range src {
			f[i] = float32(v)
		}
		err = dev.Upload(dst, f)
	}
	if err != nil {
		return fmt.Errorf("sync BN: upload: %w", err)
	}
	return nil
}
