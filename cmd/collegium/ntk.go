package main

import (
	"errors"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/collegium/collegium/pkg/ntk"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			quick    bool
			samples  int
			workers  int
			seed     uint64
			cacheDir string
			noCache  bool
			inputs   string
			dataDir  string
		)
		cmd := &cobra.Command{
			Use:   "ntk",
			Short: "Measure the empirical NTK at initialisation: V against members, depth/width and width (docs/THEORY.md)",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := errors.Join(zeroOrAtLeast("samples", samples, 2), atLeast("workers", workers, 0)); err != nil {
					return err
				}
				study := ntk.DefaultStudy(quick)
				if samples < 0 || samples == 1 {
					return fmt.Errorf("--samples %d: want ≥ 2 (or 0 for the study's default)", samples)
				}
				if samples > 0 {
					study.Scan.Sampling = ntk.FixedSampling(samples)
				}
				study.Scan.Seed = seed
				study.Scan.Workers = workers
				cache, err := openCache(cacheDir, noCache)
				if err != nil {
					return err
				}
				study.Scan.Cache = cache
				study.Scan.Log, study.Scan.Device = logrus.StandardLogger(), workerDevice
				// (a)'s MLP-CE has MNIST's input size; the other networks get random inputs.
				if study.Scan.Data, err = ntk.LoadInputData(cmd.Context(), inputs, study.MembersSpec.Input, dataDir, logrus.StandardLogger()); err != nil {
					return err
				}
				if err := study.Run(cmd.OutOrStdout()); err != nil {
					return fmt.Errorf("ntk: %w", err)
				}
				return nil
			},
		}
		f := cmd.Flags()
		f.BoolVar(&quick, "quick", false, "reduced grids and samples (CI, under a minute)")
		f.IntVar(&samples, "samples", 0, "Monte-Carlo initialisations per network (0: the study's default)")
		f.IntVar(&workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
		f.Uint64Var(&seed, "seed", 1, "seed of the initialisations")
		addInputFlags(f, &inputs, &dataDir)
		addCacheFlags(f, &cacheDir, &noCache)
		return cmd
	})
}
