package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/search"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			req               search.Request
			objective, format string
			out, cacheDir     string
			inputs, dataDir   string
			noCache           bool
			top               int
			measure           measureFlags
			allLaws           bool
		)
		cmd := &cobra.Command{
			Use:   "search",
			Short: "Choose (m, n) by the primal (min V s.t. P ≤ P0) or dual (min P s.t. V ≤ V0) search",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkSearchFlags(req, top, out); err != nil {
					return err
				}
				var err error
				if req.Objective, err = search.ParseObjective(objective); err != nil {
					return err
				}
				f := search.Format(format)
				if f != search.Text && f != search.CSV && f != search.JSON {
					return fmt.Errorf("--format %q: want text, csv or json", format)
				}
				if err := measure.apply(&req.Scan, req.Family); err != nil {
					return err
				}
				if req.BudgetTolerance < 0 {
					return fmt.Errorf("--budget-tolerance %g: want ≥ 0 (0.02 allows P ≤ 1.02·P0)", req.BudgetTolerance)
				}
				if req.MeasureSize < 0 {
					return fmt.Errorf("--measure-size %d: want > 0 (or 0 for the family's default)", req.MeasureSize)
				}
				if req.Rerank < 0 {
					return fmt.Errorf("--rerank %d: want ≥ 0", req.Rerank)
				}
				req.Scan.Log, req.Scan.Device = logrus.StandardLogger(), workerDevice
				if req.Scan.Cache, err = openCache(cacheDir, noCache); err != nil {
					return err
				}
				arch, err := req.Architecture()
				if err != nil {
					return err
				}
				if req.Scan.Data, err = ntk.LoadInputData(cmd.Context(), inputs, arch.Measure.Input, dataDir, logrus.StandardLogger()); err != nil {
					return err
				}
				if allLaws {
					outs, err := search.Laws(req)
					if err != nil {
						return fmt.Errorf("search: %w", err)
					}
					search.WriteLaws(cmd.OutOrStdout(), outs)
					return nil
				}
				rep, err := search.Do(req)
				if err != nil {
					return fmt.Errorf("search: %w", err)
				}
				if out != "" {
					if err := rep.WriteFiles(out, top); err != nil {
						return err
					}
				}
				if req.Family != "mlp" {
					// A ResNeXt's answer rests on the V_1 law and a members law measured on a grid.
					logrus.Infof("for a %s the answer with no law: collegium study frontier --family %s --dataset %s --baseline %s (the primal; --objective dual --budgets F1,F2,… the dual): docs/THEORY.md", req.Family, req.Family, req.Dataset, req.Baseline)
				}
				return search.Write(cmd.OutOrStdout(), f, search.Rows(rep.Result, top))
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&req.Family, "family", "resnext29", "architecture family: mlp, resnext29 or resnext50")
		fl.StringVar(&req.Dataset, "dataset", "cifar10", "dataset: mnist, cifar10, cifar100 or imagenet")
		fl.StringVar(&req.Baseline, "baseline", "1x128d", `baseline "CxWd": C members (cardinality) of width W`)
		fl.StringVar(&objective, "objective", "primal", "primal (min V, P ≤ P0) or dual (min P, V ≤ V0)")
		fl.StringVar(&format, "format", "text", "output format: text, csv or json (one object per line)")
		fl.StringVar(&out, "out", "", "directory for search.{txt,csv,jsonl}, v1.md and frontier.{svg,png}")
		fl.IntVar(&top, "top", 10, "rows to print (0: all feasible)")
		fl.IntVar(&req.Depth, "depth", 0, "MLP hidden layers (0: 2)")
		fl.IntVar(&req.MaxM, "max-m", 64, "largest m in the grid")
		fl.IntVar(&req.MaxN, "max-n", 0, "largest n in the grid (0: twice the baseline width, at least the largest measured)")
		fl.IntVar(&req.Budget, "budget", 0, "parameter budget P0 for the primal (0: the baseline's)")
		fl.Float64Var(&req.Target, "target", 0, "variance target V0 for the dual (0: the baseline's)")
		fl.Float64Var(&req.BudgetTolerance, "budget-tolerance", 0, "primal: allow P ≤ (1 + F)·P0 (published comparisons match budgets within a few percent)")
		fl.IntVar(&req.MeasureSize, "measure-size", 0, "spatial size S of the S×S inputs a conv net's V_1 is measured on (0: resnext29 32, resnext50 64)")
		measure.add(fl)
		addMembersFlags(fl, &req)
		fl.BoolVar(&allLaws, "all-laws", false, "print the optimum under every fitted V_1 law (Markdown) instead of the ranked table")
		fl.StringVar(&req.Law, "law", "", "V_1(n) law to search with instead of the one that best predicts held-out widths: "+lawNames())
		addScanFlags(fl, &req.Scan)
		addInputFlags(fl, &inputs, &dataDir)
		addCacheFlags(fl, &cacheDir, &noCache)
		return cmd
	})
}

// checkSearchFlags checks the numeric flags, the law and --out before
// anything is measured (the sampling flags: measureFlags.apply).
func checkSearchFlags(req search.Request, top int, out string) error {
	errs := []error{
		atLeast("depth", req.Depth, 0), atLeast("max-m", req.MaxM, 1), atLeast("max-n", req.MaxN, 0),
		atLeast("budget", req.Budget, 0), finiteAtLeast0("target", req.Target), atLeast("top", top, 0),
		atLeast("input-count", req.Scan.Inputs, 2), atLeast("workers", req.Scan.Workers, 0),
		outputDir("out", out),
	}
	if req.Law != "" && !slices.ContainsFunc(ntk.WidthLaws(1), func(l ntk.Law) bool { return l.ID == req.Law }) {
		errs = append(errs, fmt.Errorf("--law %q: want one of %s", req.Law, lawNames()))
	}
	return errors.Join(errs...)
}

// lawNames lists the V_1 laws a search can be told to use.
func lawNames() string {
	var names []string
	for _, l := range ntk.WidthLaws(1) {
		names = append(names, strconv.Quote(l.ID))
	}
	return strings.Join(names, ", ")
}

// addScanFlags adds the Monte-Carlo settings of V_1 measurements.
func addScanFlags(f *pflag.FlagSet, s *ntk.ScanConfig) {
	f.IntVar(&s.Inputs, "input-count", 2, "inputs per kernel (with train-mode BN they form one batch)")
	f.Uint64Var(&s.Seed, "seed", 1, "seed of the initialisations")
	f.Uint64Var(&s.InputSeed, "input-seed", 1, "seed of the inputs (random values or the choice of images)")
	f.IntVar(&s.Workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
}

// addInputFlags adds --inputs (the source of the kernel's inputs) and
// --data-dir.
func addInputFlags(f *pflag.FlagSet, source, dataDir *string) {
	f.StringVar(source, "inputs", ntk.AutoSource, "kernel inputs: random N(0, 1); mnist or fashion-mnist (test images, 1×28×28 networks); a directory of CIFAR-10/100 binary batches (3×32×32 networks) or JPEG/PNG images (resized and centre-cropped to the measured size); or auto: mnist for 1×28×28 networks when the data is available (random, with a warning, when it is not and --data-dir is not given), else random")
	f.StringVar(dataDir, "data-dir", "", "directory to look for MNIST and Fashion-MNIST first")
}

// workerDevice is the device each NTK worker compiles its network on: one
// thread, because the workers (--workers) are the parallelism.
func workerDevice() device.Device { return cpu.New(1) }

// addCacheFlags adds --cache and --no-cache.
func addCacheFlags(f *pflag.FlagSet, dir *string, off *bool) {
	f.StringVar(dir, "cache", "", "directory of cached NTK measurements (default $XDG_CACHE_HOME/collegium/ntk)")
	f.BoolVar(off, "no-cache", false, "measure again, reading and writing no cache")
}

// openCache resolves the measurement cache from the flags.
func openCache(dir string, off bool) (ntk.Cache, error) {
	if off {
		return ntk.Cache{}, nil
	}
	if dir != "" {
		return ntk.Cache{Dir: dir}, nil
	}
	d, err := ntk.DefaultCacheDir()
	if err != nil {
		return ntk.Cache{}, err
	}
	return ntk.Cache{Dir: d}, nil
}
