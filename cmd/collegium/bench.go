package main

import (
	"errors"
	"fmt"

	"github.com/collegium/collegium/pkg/bench"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/registry"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

func init() {
	subcommands = append(subcommands, benchCmd)
}

// benchFlags are the flags of collegium bench.
type benchFlags struct {
	device, format, csvOut, plotOut string
	sel                             bench.Selection
	list, peak, tf32                bool
	peakGFLOPS                      float64
	maxBytes                        int64
	timing                          bench.TimingConfig
	verify                          bench.VerifyConfig
	peakCfg                         bench.PeakConfig
	seed                            uint64
}

func benchCmd() *cobra.Command {
	f := benchFlags{timing: bench.DefaultTiming, verify: bench.DefaultVerify, peakCfg: bench.DefaultPeak}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark grouped and block-diagonal layers against dense",
		Long: `Times forward, backward data, backward weights and fwd+bwd of the CE layers
(block-diagonal matmul, grouped conv) and their dense equivalents on a device,
verifying a sample of every output against a float64 reference.

Cases: --preset (ce-cpu, resnext29, resnext50; --list shows them) and/or
--case, repeatable, as "op:key=value,..." or a case name:
  gconv:N=32,C=370,H=32,g=37   conv:N=32,C=128,H=32   gconv-N32-C192-H32-g3
  blockdiag:B=128,m=16,n=64    dense:B=128,n=1024     dense-B128-1024
conv keys: N batch, C channels, H, W (default H), g groups, k kernel (3), s stride (1)
matmul keys: B batch, m groups, n columns per group.`,
		Example: `  collegium bench --preset ce-cpu
  collegium bench --peak
  collegium bench --case gconv:N=32,C=370,H=32,g=37 --format json --out gconv.csv --plot gconv.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.device, "device", "cpu", "device: cpu or cuda:N")
	fl.StringVar(&f.sel.Preset, "preset", "", "named case set (see --list)")
	fl.StringArrayVar(&f.sel.Cases, "case", nil, "a case, e.g. gconv:N=32,C=370,H=32,g=37 (repeatable)")
	fl.BoolVar(&f.sel.Equivalents, "equivalents", true, "also time the dense equivalents (same width, same parameters) of grouped --case cases")
	fl.StringVar(&f.sel.Passes, "pass", "", "passes: fwd,bwd_data,bwd_weight,fwd+bwd or all (default: the preset's, else all)")
	fl.BoolVar(&f.list, "list", false, "list the presets and their cases")
	fl.StringVar(&f.format, "format", "table", "output on stdout: table or json (one object per line)")
	fl.StringVar(&f.csvOut, "out", "", "also write the results as CSV to this file")
	fl.StringVar(&f.plotOut, "plot", "", "plot GFLOP/s versus channels per group to this .png, .svg or .pdf file")
	fl.BoolVar(&f.peak, "peak", false, "measure and report the device's SGEMM and copy peaks")
	fl.Float64Var(&f.peakGFLOPS, "peak-gflops", 0, "the device's peak GFLOP/s for peak_frac (default: measured)")
	fl.IntVar(&f.peakCfg.GemmSize, "peak-size", f.peakCfg.GemmSize, "size of the peak SGEMM (size³)")
	fl.Int64Var(&f.peakCfg.CopyBytes, "copy-bytes", f.peakCfg.CopyBytes, "bytes of the peak-bandwidth copy")
	fl.Int64Var(&f.maxBytes, "max-bytes", 0, "refuse cases needing more memory (default: free device memory, or the host's MemAvailable)")
	fl.DurationVar(&f.timing.Target, "target", f.timing.Target, "time to fill with runs per pass")
	fl.IntVar(&f.timing.Warmup, "warmup", f.timing.Warmup, "untimed runs per pass")
	fl.IntVar(&f.timing.MinReps, "min-reps", f.timing.MinReps, "fewest timed runs per pass")
	fl.IntVar(&f.timing.MaxReps, "max-reps", f.timing.MaxReps, "most timed runs per pass")
	fl.IntVar(&f.verify.Samples, "samples", f.verify.Samples, "output elements checked per output")
	fl.Float64Var(&f.verify.Tol, "tol", f.verify.Tol, "allowed error relative to the sum of |terms| of an element")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the random inputs and samples")
	fl.BoolVar(&f.tf32, "tf32", false, "matrix products on TF32 tensor cores (GPU of compute capability ≥ 8.0); --tol defaults to 5e-3 then")
	return cmd
}

func runBench(cmd *cobra.Command, f benchFlags) error {
	out := cmd.OutOrStdout()
	if f.list {
		return bench.WritePresets(out)
	}
	if err := bench.CheckFormat(f.format); err != nil {
		return err
	}
	if err := errors.Join(outputFile("out", f.csvOut), outputFile("plot", f.plotOut), bench.CheckPlotPath(f.plotOut)); err != nil {
		return err
	}
	cases, passes, err := f.sel.Resolve()
	if err != nil {
		return err
	}
	if len(cases) == 0 && !f.peak {
		return errors.New("bench: nothing to run: give --preset, --case or --peak")
	}
	dev, err := registry.Open(f.device)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if cerr := dev.Close(); cerr != nil {
			logrus.WithError(cerr).Warn("bench: close device")
		}
	}()
	if f.tf32 {
		if err := device.EnableTF32(dev); err != nil {
			return fmt.Errorf("bench: --tf32: %w", err)
		}
		if !cmd.Flags().Changed("tol") {
			f.verify.Tol = 5e-3 // TF32 rounds inputs to 10 mantissa bits
		}
	}
	limit, err := bench.DetectMemoryLimit(dev, f.maxBytes)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	var rs []bench.Result
	if f.peak || (len(cases) > 0 && f.peakGFLOPS == 0) {
		logrus.Info("bench: measuring the device's peaks (--peak-gflops skips this)")
		pc := f.peakCfg
		pc.Timing, pc.Verify, pc.Limit, pc.Seed, pc.Log = f.timing, f.verify, limit, f.seed, logrus.StandardLogger()
		peaks, err := bench.MeasurePeak(dev, pc)
		if err != nil {
			return err
		}
		rs = append(rs, peaks...)
		if peaks[0].Figures != nil && f.peakGFLOPS == 0 {
			f.peakGFLOPS = peaks[0].GFLOPS
		}
	}
	cfg := bench.Config{Passes: passes, Timing: f.timing, Verify: f.verify, Limit: limit, PeakGFLOPS: f.peakGFLOPS, Seed: f.seed, Log: logrus.StandardLogger()}
	caseResults, err := bench.Run(dev, cases, cfg)
	rs = append(rs, caseResults...)
	if err != nil {
		return err
	}
	if err := bench.Write(out, f.format, rs); err != nil {
		return err
	}
	if f.csvOut != "" {
		if err := bench.WriteCSVFile(f.csvOut, rs); err != nil {
			return err
		}
	}
	if f.plotOut != "" && len(caseResults) > 0 {
		if err := bench.Plot(f.plotOut, caseResults); err != nil {
			return err
		}
	}
	return bench.Unverified(rs)
}
