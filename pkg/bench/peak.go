package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/collegium/collegium/pkg/device"
	"github.com/sirupsen/logrus"
	"gorgonia.org/tensor"
)

// The ops of peak results.
const (
	SGEMM   Op = "sgemm" // one size×size×size float32 Gemm
	MemCopy Op = "copy"  // one device Copy of a large float32 buffer
)

// PeakConfig sets the peak measurements: a GemmSize³ SGEMM and a Copy of
// CopyBytes.
type PeakConfig struct {
	GemmSize  int
	CopyBytes int64
	Timing    TimingConfig
	Verify    VerifyConfig
	Limit     MemoryLimit
	Seed      uint64
	Log       logrus.FieldLogger // receives the SGEMM's line (nil: dropped)
}

// DefaultPeak measures a 2048³ SGEMM and a 256 MiB copy.
var DefaultPeak = PeakConfig{GemmSize: 2048, CopyBytes: 256 << 20, Timing: DefaultTiming, Verify: DefaultVerify}

// MeasurePeak measures dev's SGEMM rate (the GFLOPS of the first result, its
// Gemm verified like any case) and memory bandwidth (the GBPS of the second:
// bytes read plus bytes written by Copy over the median time).
func MeasurePeak(dev device.Device, c PeakConfig) ([]Result, error) {
	g := Case{Op: Dense, Batch: c.GemmSize, Channels: c.GemmSize, Groups: 1}
	rs, err := Run(dev, []Case{g}, Config{Passes: []Pass{Forward}, Timing: c.Timing, Verify: c.Verify, Limit: c.Limit, Seed: c.Seed, Log: c.Log})
	if err != nil {
		return nil, fmt.Errorf("peak sgemm: %w", err)
	}
	gemm := rs[0]
	gemm.Case, gemm.Op = fmt.Sprintf("peak-sgemm-%d", c.GemmSize), SGEMM
	cp, err := measureCopy(dev, c)
	if err != nil {
		return nil, fmt.Errorf("peak copy: %w", err)
	}
	return []Result{gemm, cp}, nil
}

// measureCopy times dev.Copy between two buffers of c.CopyBytes and checks
// a sample of the copy.
func measureCopy(dev device.Device, c PeakConfig) (r Result, err error) {
	n := int(c.CopyBytes / bytesPerElem)
	if n <= 0 {
		return r, fmt.Errorf("copy of %d bytes: want at least %d", c.CopyBytes, bytesPerElem)
	}
	r = Result{Case: "peak-copy-" + humanBytesName(c.CopyBytes), Op: MemCopy, Device: dev.Name(), Pass: Forward, Bytes: 2 * int64(n) * bytesPerElem}
	need := r.Bytes
	if !c.Limit.DeviceOnly {
		need += 2 * int64(n) * bytesPerElem // host source and its copy back
	}
	if need > c.Limit.Bytes {
		return r, fmt.Errorf("%s needs %d bytes (%s), more than the limit of %d bytes (%s): %w",
			r.Case, need, humanBytes(need), c.Limit.Bytes, c.Limit.Description, ErrTooLarge)
	}
	src, err := dev.Alloc(tensor.Float32, n)
	if err != nil {
		return r, fmt.Errorf("alloc: %w", err)
	}
	defer func() { err = errors.Join(err, dev.Free(src)) }()
	dst, err := dev.Alloc(tensor.Float32, n)
	if err != nil {
		return r, fmt.Errorf("alloc: %w", err)
	}
	defer func() { err = errors.Join(err, dev.Free(dst)) }()
	rng := rand.New(rand.NewPCG(c.Seed, 0x70656b))
	host := make([]float32, n)
	for i := range host {
		host[i] = rng.Float32()
	}
	if err := dev.Upload(src, host); err != nil {
		return r, fmt.Errorf("upload: %w", err)
	}
	t, err := measure(dev, func() error { return dev.Copy(dst, src) }, c.Timing)
	if err != nil {
		return r, err
	}
	got := make([]float32, n)
	if err := dev.Download(got, dst); err != nil {
		return r, fmt.Errorf("download: %w", err)
	}
	for _, i := range sampleIndices(n, c.Verify.Samples, rng) {
		if got[i] != host[i] {
			r.Error = fmt.Sprintf("element %d is %g, want %g", i, got[i], host[i])
			return r, nil
		}
	}
	r.Verified = true
	r.Figures = newFigures(t, 0, r.Bytes, 0)
	return r, nil
}

// humanBytesName writes n for a case name, e.g. "256MiB".
func humanBytesName(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}
