package main

import (
	"fmt"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/search"
)

// searchStudyFlags are the flags of the study commands that run searches.
type searchStudyFlags struct {
	req                    search.Request
	measure                measureFlags
	inputs, dataDir, cache string
	noCache                bool
	jsonOut                string
}

func (s *searchStudyFlags) add(f *pflag.FlagSet) {
	f.StringVar(&s.req.Family, "family", "resnext29", "architecture family: mlp, resnext29 or resnext50")
	f.StringVar(&s.req.Dataset, "dataset", "cifar10", "dataset: mnist, cifar10, cifar100 or imagenet")
	f.IntVar(&s.req.Depth, "depth", 0, "MLP hidden layers (0: 2)")
	f.IntVar(&s.req.MaxM, "max-m", 64, "largest m in the grid")
	f.IntVar(&s.req.MeasureSize, "measure-size", 0, "spatial size S of the S×S inputs of a conv net (0: the family's default)")
	f.Float64Var(&s.req.BudgetTolerance, "budget-tolerance", 0, "primal: allow P ≤ (1 + F)·P0")
	f.StringVar(&s.req.Law, "law", "", "V_1(n) law (empty: the best held-out prediction)")
	s.measure.add(f)
	addMembersFlags(f, &s.req)
	addScanFlags(f, &s.req.Scan)
	addInputFlags(f, &s.inputs, &s.dataDir)
	addCacheFlags(f, &s.cache, &s.noCache)
	f.StringVar(&s.jsonOut, "json", "", "also write the results as JSON to this file")
}

// request validates the flags and returns the request with its inputs,
// cache and logger set.
func (s *searchStudyFlags) request(cmd *cobra.Command) (search.Request, error) {
	req := s.req
	if req.Rerank < 0 {
		return req, fmt.Errorf("--rerank %d: want ≥ 0", req.Rerank)
	}
	return req, setUpScan(cmd, &req, s.measure, s.inputs, s.dataDir, s.cache, s.noCache)
}

// setUpScan checks a study's budget tolerance and measured size, and sets
// its measurement up from the flags: the sampling rule, precision and BN
// mode, the cache, the kernel inputs, the logger and the worker device.
func setUpScan(cmd *cobra.Command, req *search.Request, measure measureFlags, inputs, dataDir, cache string, noCache bool) error {
	if err := measure.apply(&req.Scan, req.Family); err != nil {
		return err
	}
	if req.BudgetTolerance < 0 || req.MeasureSize < 0 {
		return fmt.Errorf("--budget-tolerance %g, --measure-size %d: want ≥ 0", req.BudgetTolerance, req.MeasureSize)
	}
	arch, err := req.Architecture()
	if err != nil {
		return err
	}
	if req.Scan.Cache, err = openCache(cache, noCache); err != nil {
		return err
	}
	if req.Scan.Data, err = ntk.LoadInputData(cmd.Context(), inputs, arch.Measure.Input, dataDir, logrus.StandardLogger()); err != nil {
		return err
	}
	req.Scan.Log, req.Scan.Device = logrus.StandardLogger(), workerDevice
	return nil
}

func studySeedsCmd() *cobra.Command {
	var (
		s         searchStudyFlags
		seeds     []uint
		baselines []string
	)
	cmd := &cobra.Command{
		Use:   "seeds",
		Short: "V_1 and the primal and dual answers from two disjoint seed ranges, and whether they agree",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(seeds) != 2 || seeds[0] == seeds[1] {
				return fmt.Errorf("--seeds %v: want two different seeds", seeds)
			}
			for _, b := range baselines {
				if _, _, err := search.ParseBaseline(b); err != nil {
					return err
				}
			}
			req, err := s.request(cmd)
			if err != nil {
				return err
			}
			c, err := search.CompareSeeds(req, [2]uint64{uint64(seeds[0]), uint64(seeds[1])}, baselines, []search.Objective{search.Primal, search.Dual})
			if err != nil {
				return fmt.Errorf("study seeds: %w", err)
			}
			c.Write(cmd.OutOrStdout())
			if s.jsonOut != "" {
				return writeJSON(s.jsonOut, c)
			}
			return nil
		},
	}
	s.add(cmd.Flags())
	cmd.Flags().UintSliceVar(&seeds, "seeds", []uint{1, 2}, "the two seed ranges")
	cmd.Flags().StringSliceVar(&baselines, "baselines", []string{"1x128d", "3x64d"}, `baselines "CxWd" to search against`)
	return cmd
}

func studyChoicesCmd() *cobra.Command {
	var (
		s        searchStudyFlags
		sizes    []int
		widths   []int
		modes    []string
		baseline string
	)
	cmd := &cobra.Command{
		Use:   "choices",
		Short: "How each measurement choice (input size, eval- or train-mode BN) moves V_1 and the optimum",
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, _, err := search.ParseBaseline(baseline); err != nil {
				return err
			}
			req, err := s.request(cmd)
			if err != nil {
				return err
			}
			req.Baseline = baseline
			var settings []search.Setting
			for _, size := range sizes {
				if size < 1 {
					return fmt.Errorf("--sizes: %d: want ≥ 1", size)
				}
				for _, mode := range modes {
					if mode != "eval" && mode != "train" {
						return fmt.Errorf("--modes: %q: want eval or train", mode)
					}
					settings = append(settings, search.Setting{Name: fmt.Sprintf("%d×%d, %s-mode BN, %d inputs", size, size, mode, req.Scan.Inputs),
						MeasureSize: size, BatchStats: mode == "train", Inputs: req.Scan.Inputs})
				}
			}
			outs, err := search.CompareSettings(req, settings)
			if err != nil {
				return fmt.Errorf("study choices: %w", err)
			}
			search.WriteSettings(cmd.OutOrStdout(), outs, widths)
			if s.jsonOut != "" {
				return writeJSON(filepath.Clean(s.jsonOut), outs)
			}
			return nil
		},
	}
	s.add(cmd.Flags())
	cmd.Flags().IntSliceVar(&sizes, "sizes", []int{8, 32}, "spatial sizes S of the S×S measured inputs")
	cmd.Flags().IntSliceVar(&widths, "widths", []int{1, 4, 16, 64}, "widths whose V_1 the table shows")
	cmd.Flags().StringSliceVar(&modes, "modes", []string{"eval", "train"}, "BN modes to measure at each size")
	cmd.Flags().StringVar(&baseline, "baseline", "1x128d", `baseline "CxWd"`)
	return cmd
}

func studyFrontierCmd() *cobra.Command {
	var (
		req                    search.Request
		measure                measureFlags
		inputs, dataDir, cache string
		noCache                bool
		jsonOut, plotOut       string
		members                []int
		seeds                  []uint
		objective              string
		budgets                []float64
	)
	cmd := &cobra.Command{
		Use:   "frontier",
		Short: "The primal (or dual) answered from V measured along the baseline's budget frontier (or smaller budgets' frontiers), from two disjoint seed ranges (no V_1 or members law)",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case objective != "primal" && objective != "dual":
				return fmt.Errorf("--objective %q: want primal or dual", objective)
			case objective == "dual" && len(budgets) == 0:
				return fmt.Errorf("--objective dual needs --budgets, the fractions of P0 whose frontiers to measure")
			case objective == "primal" && len(budgets) > 0:
				return fmt.Errorf("--budgets is for --objective dual (the primal's budget is P0)")
			case objective == "dual" && req.BudgetTolerance != 0:
				return fmt.Errorf("--budget-tolerance is for --objective primal")
			case objective == "dual" && plotOut != "":
				return fmt.Errorf("--plot draws the primal's frontier; the dual has no figure")
			}
			for _, b := range budgets {
				if !(b > 0 && b < 1) {
					return fmt.Errorf("--budgets %v: %g: want fractions of P0 in (0, 1)", budgets, b)
				}
			}
			if len(seeds) != 2 || seeds[0] == seeds[1] {
				return fmt.Errorf("--seeds %v: want two different seeds", seeds)
			}
			if _, _, err := search.ParseBaseline(req.Baseline); err != nil {
				return err
			}
			for _, m := range members {
				if m < 1 {
					return fmt.Errorf("--members %v: %d: want every m ≥ 1", members, m)
				}
			}
			if err := setUpScan(cmd, &req, measure, inputs, dataDir, cache, noCache); err != nil {
				return err
			}
			if objective == "dual" {
				st, err := search.MeasureDual(req, [2]uint64{uint64(seeds[0]), uint64(seeds[1])}, budgets, members)
				if err != nil {
					return fmt.Errorf("study frontier: %w", err)
				}
				st.Write(cmd.OutOrStdout())
				if jsonOut != "" {
					return writeJSON(jsonOut, st)
				}
				return nil
			}
			st, err := search.MeasureFrontier(req, [2]uint64{uint64(seeds[0]), uint64(seeds[1])}, members)
			if err != nil {
				return fmt.Errorf("study frontier: %w", err)
			}
			st.Write(cmd.OutOrStdout())
			if plotOut != "" {
				if err := search.PlotMeasuredFrontier(st, plotOut); err != nil {
					return err
				}
			}
			if jsonOut != "" {
				return writeJSON(jsonOut, st)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Family, "family", "resnext29", "architecture family: mlp, resnext29 or resnext50")
	f.StringVar(&req.Dataset, "dataset", "cifar10", "dataset: mnist, cifar10, cifar100 or imagenet")
	f.IntVar(&req.Depth, "depth", 0, "MLP hidden layers (0: 2)")
	f.StringVar(&req.Baseline, "baseline", "3x64d", `baseline "CxWd": its parameter count P0 is the budget`)
	f.IntVar(&req.MeasureSize, "measure-size", 0, "spatial size S of the S×S inputs of a conv net (0: the family's default)")
	f.Float64Var(&req.BudgetTolerance, "budget-tolerance", 0, "allow P ≤ (1 + F)·P0")
	f.StringVar(&objective, "objective", "primal", "primal: the lowest V within P0; dual: the fewest parameters at the baseline's V0, measured along the frontier of each of --budgets")
	f.Float64SliceVar(&budgets, "budgets", nil, "with --objective dual: the budgets, as fractions of P0 in (0, 1), whose frontiers are measured")
	f.IntSliceVar(&members, "members", nil, "members m along the frontier, each with the widest n within the budget (default: 1, 2, 3, 4, 6, 8, 12, … to n = 1); with --objective primal the baseline's m is always measured")
	f.UintSliceVar(&seeds, "seeds", []uint{1, 2}, "the two seed ranges")
	f.IntVar(&req.Scan.Inputs, "input-count", 2, "inputs per kernel (with train-mode BN they form one batch)")
	f.Uint64Var(&req.Scan.InputSeed, "input-seed", 1, "seed of the inputs (random values or the choice of images)")
	f.IntVar(&req.Scan.Workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
	measure.add(f)
	addInputFlags(f, &inputs, &dataDir)
	addCacheFlags(f, &cache, &noCache)
	f.StringVar(&jsonOut, "json", "", "also write the study as JSON to this file")
	f.StringVar(&plotOut, "plot", "", "also draw V against m along the frontier to this .svg or .png file")
	return cmd
}
