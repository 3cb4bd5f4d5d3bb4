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
// BatchNormStats computes the rank's per-channel mean and variance with the
// wrapped device's own kernel, all-reduces the per-channel sums of x and x²
// over the ranks and writes the global batch's statistics, which the
// forward and backward kernels then read as they are. BatchNormBackwardData
// all-reduces the shift and gamma gradients Σ dy and Σ dy·x̂ it is given, so
// that dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) takes the means over the
// global batch. dγ and dβ themselves stay this rank's sums: the gradient
// averaging over ranks that follows makes them the global batch's.
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
	bufMean = iota
	bufVar
	bufSum1
	bufSum2
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

// BatchNormStats writes the global batch's mean and inverse standard
// deviation in training mode and updates the running statistics with them.
func (s *SyncBNDevice) BatchNormStats(p device.BatchNormParams, x, runMean, runVar, stats device.Buffer) error {
	if !p.Training {
		return s.Device.BatchNormStats(p, x, runMean, runVar, stats)
	}
	c, dt := p.C, x.Dtype()
	n := float64(p.Outer * p.Inner)
	if n < 2 {
		return fmt.Errorf("sync BN: %d values per channel on this rank; the variance needs 2", int(n))
	}
	mean, err := s.buffer(dt, c, bufMean)
	if err != nil {
		return err
	}
	variance, err := s.buffer(dt, c, bufVar)
	if err != nil {
		return err
	}
	// With momentum 1 the running statistics become this rank's batch
	// mean and unbiased variance.
	local := p
	local.Momentum = 1
	if err := s.Device.BatchNormStats(local, x, mean, variance, stats); err != nil {
		return fmt.Errorf("sync BN: local statistics: %w", err)
	}
	m, v := make([]float64, c), make([]float64, c)
	if err := download(s.Device, m, mean); err != nil {
		return err
	}
	if err := download(s.Device, v, variance); err != nil {
		return err
	}
	sums := make([]float64, 2*c+1)
	for j := range c {
		sums[j] = n * m[j]
		sums[c+j] = (n-1)*v[j] + n*m[j]*m[j]
	}
	sums[2*c] = n
	if err := s.comm.AllReduceSum64(sums); err != nil {
		return fmt.Errorf("sync BN: %w", err)
	}
	total := sums[2*c]
	global := make([]float64, 2*c)
	unbiased := make([]float64, c)
	for j := range c {
		global[j] = sums[j] / total
		biased := math.Max(sums[c+j]/total-global[j]*global[j], 0)
		global[c+j] = 1 / math.Sqrt(biased+p.Eps)
		unbiased[j] = biased * total / (total - 1)
	}
	if err := upload(s.Device, stats, global); err != nil {
		return err
	}
	for _, r := range []struct {
		run   device.Buffer
		batch []float64
	}{{runMean, global[:c]}, {runVar, unbiased}} {
		cur := make([]float64, c)
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

// BatchNormBackwardData computes dx with the means of dy and dy·x̂ over the
// global batch in training mode: the rank's sums dgamma and dbeta are
// all-reduced, then scaled by this rank's share of the values so that the
// wrapped kernel, which divides by its own count, divides by the global one.
func (s *SyncBNDevice) BatchNormBackwardData(p device.BatchNormParams, x, stats, gamma, dgamma, dbeta, dy, dx device.Buffer) error {
	if !p.Training {
		return s.Device.BatchNormBackwardData(p, x, stats, gamma, dgamma, dbeta, dy, dx)
	}
	c, dt := p.C, x.Dtype()
	sums := make([]float64, 2*c+1)
	if err := download(s.Device, sums[:c], dgamma); err != nil {
		return err
	}
	if err := download(s.Device, sums[c:2*c], dbeta); err != nil {
		return err
	}
	n := float64(p.Outer * p.Inner)
	sums[2*c] = n
	if err := s.comm.AllReduceSum64(sums); err != nil {
		return fmt.Errorf("sync BN: %w", err)
	}
	share := n / sums[2*c]
	for j := range sums[:2*c] {
		sums[j] *= share
	}
	g, err := s.buffer(dt, c, bufSum1)
	if err != nil {
		return err
	}
	b, err := s.buffer(dt, c, bufSum2)
	if err != nil {
		return err
	}
	if err := upload(s.Device, g, sums[:c]); err != nil {
		return err
	}
	if err := upload(s.Device, b, sums[c:2*c]); err != nil {
		return err
	}
	return s.Device.BatchNormBackwardData(p, x, stats, gamma, g, b, dy, dx)
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
