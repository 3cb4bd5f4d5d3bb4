package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/search"
	"github.com/collegium/collegium/pkg/study"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		cmd := &cobra.Command{
			Use:   "study",
			Short: "Training experiments of the reproduction: NTK dynamics, V against accuracy, SE coverage (docs/REPRODUCTION.md)",
		}
		cmd.AddCommand(studyDynamicsCmd(), studyAccuracyCmd(), studyCoverageCmd(), studySeedsCmd(), studyChoicesCmd(), studyFrontierCmd())
		return cmd
	})
}

// studyFlags are the flags every training study shares.
type studyFlags struct {
	family          string
	depth           int
	datasetNames    []string
	seeds           []uint
	recipe          study.Recipe
	trainN, testN   int
	dataDir, outDir string
}

func (s *studyFlags) add(f *pflag.FlagSet, family string, depth int) {
	f.StringVar(&s.family, "family", family, "mlp or convnet")
	f.IntVar(&s.depth, "depth", depth, "hidden layers (mlp) or convolutions (convnet)")
	f.StringSliceVar(&s.datasetNames, "datasets", []string{"mnist", "fashion-mnist"}, "datasets to train on")
	f.UintSliceVar(&s.seeds, "seeds", []uint{1, 2, 3}, "training seeds (each network is trained from each)")
	r := study.DefaultRecipe
	f.IntVar(&s.recipe.Epochs, "epochs", r.Epochs, "epochs over the training subset (the same step budget for every network)")
	f.IntVar(&s.recipe.BatchSize, "batch-size", r.BatchSize, "batch size")
	f.Float64Var(&s.recipe.LR, "lr", r.LR, "SGD learning rate (cosine schedule, 1/√m aggregation)")
	f.Float64Var(&s.recipe.Momentum, "momentum", r.Momentum, "SGD momentum")
	f.Float64Var(&s.recipe.WeightDecay, "weight-decay", r.WeightDecay, "weight decay")
	f.IntVar(&s.trainN, "train-images", 12800, "training images used (the first N; 0: all)")
	f.IntVar(&s.testN, "test-images", 2000, "test images used (the first N; 0: all)")
	f.StringVar(&s.dataDir, "data-dir", "", "directory to look for the datasets first")
	f.StringVar(&s.outDir, "out", "runs/study", "directory for the runs, the JSON results and the figure")
}

// check validates the shared flags and returns the family.
func (s *studyFlags) check() (models.Family, error) {
	fam := models.Family(s.family)
	switch {
	case fam != models.MLP && fam != models.ConvNet:
		return "", fmt.Errorf("--family %q: want mlp or convnet", s.family)
	case s.depth < 1:
		return "", fmt.Errorf("--depth %d: want ≥ 1", s.depth)
	case len(s.seeds) == 0 || len(s.datasetNames) == 0:
		return "", fmt.Errorf("--seeds and --datasets need at least one value each")
	case s.recipe.Epochs < 1 || s.recipe.BatchSize < 1 || !(s.recipe.LR > 0):
		return "", fmt.Errorf("--epochs %d, --batch-size %d, --lr %g: want ≥ 1, ≥ 1 and > 0", s.recipe.Epochs, s.recipe.BatchSize, s.recipe.LR)
	case s.trainN < 0 || s.testN < 0:
		return "", fmt.Errorf("--train-images %d, --test-images %d: want ≥ 0", s.trainN, s.testN)
	}
	return fam, nil
}

func (s *studyFlags) seeds64() []uint64 {
	out := make([]uint64, len(s.seeds))
	for i, v := range s.seeds {
		out[i] = uint64(v)
	}
	return out
}

// writeJSON writes v to path, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b)
}

func studyDynamicsCmd() *cobra.Command {
	var (
		s       studyFlags
		width   int
		members []int
		singles bool
		probe   int
	)
	cmd := &cobra.Command{
		Use:   "dynamics",
		Short: "Relative NTK change ‖K_T − K_0‖/‖K_0‖ during training against m (CEs) and width (single networks at matched parameters)",
		RunE: func(cmd *cobra.Command, args []string) error {
			fam, err := s.check()
			if err != nil {
				return err
			}
			if width < 1 || probe < 2 || len(members) == 0 {
				return fmt.Errorf("--width %d, --probe %d, --members %v: want ≥ 1, ≥ 2 and at least one", width, probe, members)
			}
			if err := os.MkdirAll(s.outDir, 0o755); err != nil {
				return err
			}
			cfg := study.DynamicsConfig{Family: fam, Depth: s.depth, Width: width, Members: members, Singles: singles,
				Seeds: s.seeds64(), Recipe: s.recipe, Probe: probe, ProbeSeed: 1}
			var panels []study.Panel
			all := map[string][]study.DynamicsPoint{}
			for _, name := range s.datasetNames {
				data, err := study.LoadData(cmd.Context(), name, s.dataDir, s.trainN, s.testN, logrus.StandardLogger())
				if err != nil {
					return err
				}
				pts, err := study.Dynamics(cmd.Context(), cfg, data, filepath.Join(s.outDir, "runs"), cpu.New(0), logrus.StandardLogger())
				if err != nil {
					return err
				}
				all[name] = pts
				rows := study.DynamicsRows(pts)
				fmt.Fprintf(cmd.OutOrStdout(), "#### %s on %s\n\n", fam, name)
				if err := study.WriteDynamics(cmd.OutOrStdout(), rows); err != nil {
					return err
				}
				panels = append(panels, study.Panel{Title: fmt.Sprintf("%s on %s", fam, name), XLabel: "parameters", YLabel: "‖K_T − K_0‖/‖K_0‖",
					LogX: true, LogY: true, Series: study.DynamicsSeries(string(fam), rows)})
			}
			if err := writeJSON(filepath.Join(s.outDir, fmt.Sprintf("dynamics-%s.json", fam)), all); err != nil {
				return err
			}
			return study.PlotPanels(filepath.Join(s.outDir, fmt.Sprintf("dynamics-%s.svg", fam)), panels)
		},
	}
	f := cmd.Flags()
	s.add(f, "mlp", 2)
	f.IntVar(&width, "width", 16, "member width n of the CEs")
	f.IntSliceVar(&members, "members", []int{1, 2, 4, 8, 16}, "members m of the CEs")
	f.BoolVar(&singles, "singles", true, "also train single networks whose width matches each CE's parameter count")
	f.IntVar(&probe, "probe", 16, "test images of the probe set the kernel is measured on")
	return cmd
}

func studyAccuracyCmd() *cobra.Command {
	var (
		s        studyFlags
		baseline string
		members  []int
		tol      float64
		scan     ntk.ScanConfig
		measure  measureFlags
		cache    string
		noCache  bool
	)
	cmd := &cobra.Command{
		Use:   "accuracy",
		Short: "Measured V against final training loss and test error of CEs of one parameter budget, with Spearman's ρ",
		RunE: func(cmd *cobra.Command, args []string) error {
			fam, err := s.check()
			if err != nil {
				return err
			}
			bm, bn, err := search.ParseBaseline(baseline)
			if err != nil {
				return err
			}
			if !(tol > 0 && tol < 1) || len(members) == 0 {
				return fmt.Errorf("--tolerance %g, --members %v: want a fraction in (0, 1) and at least one m", tol, members)
			}
			if err := measure.apply(&scan, string(fam)); err != nil {
				return err
			}
			if scan.Cache, err = openCache(cache, noCache); err != nil {
				return err
			}
			scan.Log, scan.Device = logrus.StandardLogger(), workerDevice
			if err := os.MkdirAll(s.outDir, 0o755); err != nil {
				return err
			}
			cfg := study.AccuracyConfig{Family: fam, Depth: s.depth, BaseM: bm, BaseN: bn, Members: members, Tolerance: tol,
				Seeds: s.seeds64(), Recipe: s.recipe}
			var results []study.AccuracyResult
			var errSeries, lossSeries []study.Series
			for _, name := range s.datasetNames {
				data, err := study.LoadData(cmd.Context(), name, s.dataDir, s.trainN, s.testN, logrus.StandardLogger())
				if err != nil {
					return err
				}
				sc := scan
				sc.Data = data.Test
				r, err := study.VarianceAccuracy(cmd.Context(), cfg, data, sc, filepath.Join(s.outDir, "runs"), cpu.New(0), logrus.StandardLogger())
				if err != nil {
					return err
				}
				results = append(results, r)
				fmt.Fprintf(cmd.OutOrStdout(), "#### %s on %s (budget %d parameters, %s)\n\n", fam, name, r.Budget, scan.Sampling)
				study.WriteAccuracy(cmd.OutOrStdout(), r)
				e, l := study.AccuracySeries(fmt.Sprintf("%s %s", fam, name), r)
				errSeries, lossSeries = append(errSeries, e), append(lossSeries, l)
			}
			if err := writeJSON(filepath.Join(s.outDir, fmt.Sprintf("accuracy-%s.json", fam)), results); err != nil {
				return err
			}
			return study.PlotPanels(filepath.Join(s.outDir, fmt.Sprintf("accuracy-%s.svg", fam)), []study.Panel{
				{Title: "final test error against V", XLabel: "V (measured at init)", YLabel: "test error", LogX: true, Series: errSeries},
				{Title: "final training loss against V", XLabel: "V (measured at init)", YLabel: "training loss", LogX: true, Series: lossSeries},
			})
		},
	}
	f := cmd.Flags()
	s.add(f, "mlp", 4)
	f.StringVar(&baseline, "baseline", "1x256d", `the budget: the parameters of "CxWd"`)
	f.IntSliceVar(&members, "members", []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64}, "members m; each gets the widest n within the budget's tolerance (those with none are left out)")
	f.Float64Var(&tol, "tolerance", 0.05, "configurations within this fraction of the budget")
	measure.add(f)
	f.IntVar(&scan.Inputs, "input-count", 2, "test images per kernel")
	f.Uint64Var(&scan.Seed, "ntk-seed", 1, "seed of the initialisations V is measured on")
	f.Uint64Var(&scan.InputSeed, "input-seed", 1, "seed of the choice of test images")
	addCacheFlags(f, &cache, &noCache)
	return cmd
}

func studyCoverageCmd() *cobra.Command {
	var (
		reps int
		out  string
	)
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "How often V ± 1.96·SE covers the true V on draws of known V (gamma, log-normal, Pareto)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if reps < 10 {
				return fmt.Errorf("--reps %d: want ≥ 10", reps)
			}
			var rs []ntk.CoverageResult
			for _, d := range []ntk.Distribution{ntk.GammaDist(4), ntk.LogNormalDist(0.5), ntk.LogNormalDist(1), ntk.ParetoDist(6), ntk.ParetoDist(4.5), ntk.ParetoDist(3)} {
				for _, rule := range []ntk.Sampling{ntk.FixedSampling(64), ntk.FixedSampling(256), ntk.DefaultSampling} {
					r, err := ntk.Coverage(d, rule, reps, 1)
					if err != nil {
						return err
					}
					rs = append(rs, r)
				}
			}
			var w io.Writer = cmd.OutOrStdout()
			ntk.WriteCoverage(w, rs)
			if out != "" {
				return writeJSON(out, rs)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&reps, "reps", 200, "replicate experiments per distribution and rule")
	cmd.Flags().StringVar(&out, "json", "", "also write the results as JSON to this file")
	return cmd
}
