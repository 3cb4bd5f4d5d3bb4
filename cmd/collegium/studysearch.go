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
	if err := s.measure.apply(&req.Scan, req.Family); err != nil {
		return req, err
	}
	if req.BudgetTolerance < 0 || req.MeasureSize < 0 || req.Rerank < 0 {
		return req, fmt.Errorf("--budget-tolerance %g, --measure-size %d, --rerank %d: want ≥ 0", req.BudgetTolerance, req.MeasureSize, req.Rerank)
	}
	arch, err := req.Architecture()
	if err != nil {
		return req, err
	}
	if req.Scan.Cache, err = openCache(s.cache, s.noCache); err != nil {
		return req, err
	}
	if req.Scan.Data, err = ntk.LoadInputData(cmd.Context(), s.inputs, arch.Measure.Input, s.dataDir, logrus.StandardLogger()); err != nil {
		return req, err
	}
	req.Scan.Log, req.Scan.Device = logrus.StandardLogger(), workerDevice
	return req, nil
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
