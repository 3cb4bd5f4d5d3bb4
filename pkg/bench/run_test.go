package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus/hooks/test"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// tinyConfig times a few fast runs and checks every output element.
var tinyConfig = Config{
	Passes: AllPasses,
	Timing: TimingConfig{Warmup: 1, MinReps: 2, MaxReps: 3, Target: time.Millisecond},
	Verify: VerifyConfig{Samples: 1 << 20, Tol: 1e-5},
	Limit:  MemoryLimit{Bytes: 1 << 30, Description: "test"},
	Seed:   7,
}

func tinyCases(t *testing.T) []Case {
	var cs []Case
	for _, s := range []string{"blockdiag:B=9,m=3,n=5", "dense:B=4,n=7", "gconv:N=2,C=6,H=5,g=3", "gconv:N=2,C=8,H=7,W=6,g=2,k=5,s=2", "conv:N=1,C=4,H=4,k=1"} {
		c, err := ParseCase(s)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

func TestRunCPU(t *testing.T) {
	cfg := tinyConfig
	cfg.PeakGFLOPS = 100
	log, hook := test.NewNullLogger()
	cfg.Log = log
	rs, err := Run(cpu.New(2), tinyCases(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5*len(AllPasses) {
		t.Fatalf("%d results, want %d", len(rs), 5*len(AllPasses))
	}
	if n := len(hook.AllEntries()); n != len(rs) {
		t.Errorf("Config.Log got %d lines, want one per result (%d)", n, len(rs))
	}
	if err := Unverified(rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		f := r.Figures
		if f == nil || f.Reps < 2 || f.Reps > 3 || f.MinMS > f.MedianMS || f.MedianMS > f.MaxMS || f.GFLOPS <= 0 || f.GBPS <= 0 {
			t.Errorf("%s %s: figures %+v", r.Case, r.Pass, f)
			continue
		}
		if got := f.GFLOPS / 100; got != f.PeakFrac {
			t.Errorf("%s %s: peak fraction %g, want %g", r.Case, r.Pass, f.PeakFrac, got)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"p.svg", "p.png"} {
		path := filepath.Join(dir, name)
		if err := Plot(path, rs); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("plot %s: %v", name, err)
		}
	}
	if err := Plot(filepath.Join(dir, "p.txt"), rs); err == nil {
		t.Error("plot to .txt accepted")
	}
}

// corrupting is the CPU device with kernels that spoil one element of their
// output, or, with skip, do not run at all.
type corrupting struct {
	*cpu.Device
	skip bool
}

func (d corrupting) spoil(b device.Buffer, i int) {
	b.(*cpu.Buffer).F32[i] += 0.5
}

func (d corrupting) Gemm(p device.GemmParams) error {
	if d.skip {
		return nil
	}
	err := d.Device.Gemm(p)
	d.spoil(p.C, p.C.Len()-1)
	return err
}

func (d corrupting) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	if d.skip {
		return nil
	}
	err := d.Device.Conv2dBackwardFilter(p, x, dy, dw)
	d.spoil(dw, 3)
	return err
}

func TestRunCatchesWrongKernel(t *testing.T) {
	for _, skip := range []bool{false, true} {
		rs, err := Run(corrupting{Device: cpu.New(1), skip: skip}, tinyCases(t), tinyConfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			wrong := r.Op == BlockDiag || r.Op == Dense || r.Pass == BackwardWeight || r.Pass == FwdBwd
			if r.Verified == wrong {
				t.Errorf("skip=%t %s %s: verified=%t, want %t (%s)", skip, r.Case, r.Pass, r.Verified, !wrong, r.Error)
			}
			if wrong && (r.Figures != nil || !strings.Contains(r.Error, "output element")) {
				t.Errorf("skip=%t %s %s: unverified result with figures %+v or error %q", skip, r.Case, r.Pass, r.Figures, r.Error)
			}
		}
		if err := Unverified(rs); !errors.Is(err, ErrUnverified) {
			t.Errorf("Unverified = %v", err)
		}
	}
}

// fixedTimer is the CPU device with a device timer that always reports the
// same times, as the CUDA device's event timer would.
type fixedTimer struct{ *cpu.Device }

func (fixedTimer) Time(fn func() error, warmup, reps int) (time.Duration, time.Duration, time.Duration, error) {
	for range warmup + reps {
		if err := fn(); err != nil {
			return 0, 0, 0, err
		}
	}
	return 2 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, nil
}

func TestRunUsesDeviceTimer(t *testing.T) {
	cs := tinyCases(t)[:1]
	rs, err := Run(fixedTimer{cpu.New(1)}, cs, tinyConfig)
	if err != nil {
		t.Fatal(err)
	}
	f := rs[0].Figures
	if f == nil || f.MedianMS != 2 || f.MinMS != 1 || f.MaxMS != 3 {
		t.Fatalf("figures %+v, want the device timer's 2, 1, 3 ms", f)
	}
	if want := float64(cs[0].FLOPs(Forward)) / 2e-3 / 1e9; f.GFLOPS != want {
		t.Errorf("GFLOPS %g, want %g", f.GFLOPS, want)
	}
}

func TestMeasurePeak(t *testing.T) {
	c := PeakConfig{GemmSize: 64, CopyBytes: 1 << 20, Timing: tinyConfig.Timing, Verify: DefaultVerify, Limit: tinyConfig.Limit}
	rs, err := MeasurePeak(cpu.New(2), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Case != "peak-sgemm-64" || rs[0].FLOPs != 2*64*64*64 || rs[1].Case != "peak-copy-1MiB" || rs[1].Bytes != 2<<20 {
		t.Fatalf("peak results %+v", rs)
	}
	if err := Unverified(rs); err != nil || rs[0].GFLOPS <= 0 || rs[1].GBPS <= 0 {
		t.Errorf("peaks %+v %+v: %v", rs[0].Figures, rs[1].Figures, err)
	}
	c.Limit.Bytes = 1 << 20
	if _, err := MeasurePeak(cpu.New(1), c); !errors.Is(err, ErrTooLarge) {
		t.Errorf("peak over the limit: %v", err)
	}
}
