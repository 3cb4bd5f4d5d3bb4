package main

import (
	"encoding/json"
	"fmt"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/search"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			family, dataset        string
			depth, size            int
			ms, ns                 []int
			scan                   ntk.ScanConfig
			measure                measureFlags
			inputs, dataDir, cache string
			noCache                bool
			jsonOut                string
		)
		cmd := &cobra.Command{
			Use:   "members",
			Short: "Measure V(m, n) on a grid of members and widths against the 1/m law V(1, n)/m (docs/THEORY.md)",
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := measure.apply(&scan, family); err != nil {
					return err
				}
				for _, v := range append(append([]int(nil), ms...), ns...) {
					if v < 1 {
						return fmt.Errorf("--members/--widths: %d: every value must be ≥ 1", v)
					}
				}
				if size < 0 {
					return fmt.Errorf("--measure-size %d: want > 0 (or 0 for the family's default)", size)
				}
				arch, err := search.NewArchitecture(family, dataset, depth, size)
				if err != nil {
					return err
				}
				if scan.Cache, err = openCache(cache, noCache); err != nil {
					return err
				}
				if scan.Data, err = ntk.LoadInputData(cmd.Context(), inputs, arch.Measure.Input, dataDir, logrus.StandardLogger()); err != nil {
					return err
				}
				scan.Log, scan.Device = logrus.StandardLogger(), workerDevice
				g, err := arch.MeasureMembers(ms, ns, scan)
				if err != nil {
					return fmt.Errorf("members: %w", err)
				}
				in := arch.Measure.Input
				fmt.Fprintf(cmd.OutOrStdout(), "V(m, n) of %s (input %dx%dx%d, %s, %s)\n\n", family, in.Channels, in.Height, in.Width,
					scan.InputsLabel(in.Size()), scan.Sampling)
				g.Write(cmd.OutOrStdout())
				if jsonOut != "" {
					b, err := json.MarshalIndent(g, "", "  ")
					if err != nil {
						return fmt.Errorf("members: %w", err)
					}
					return atomicfile.WriteBytes(jsonOut, b)
				}
				return nil
			},
		}
		fl := cmd.Flags()
		fl.StringVar(&family, "family", "resnext29", "architecture family: mlp, resnext29 or resnext50")
		fl.StringVar(&dataset, "dataset", "cifar10", "dataset: mnist, cifar10, cifar100 or imagenet")
		fl.IntVar(&depth, "depth", 0, "MLP hidden layers (0: 2)")
		fl.IntVar(&size, "measure-size", 0, "spatial size S of the S×S inputs of a conv net (0: resnext29 32, resnext50 64)")
		fl.IntSliceVar(&ms, "members", []int{1, 2, 4, 8, 16, 32}, "members m of the grid (1 is always measured: it is the reference)")
		fl.IntSliceVar(&ns, "widths", []int{1, 2, 4, 8}, "widths n of the grid")
		fl.StringVar(&jsonOut, "json", "", "also write the grid as JSON to this file")
		measure.add(fl)
		addScanFlags(fl, &scan)
		addInputFlags(fl, &inputs, &dataDir)
		addCacheFlags(fl, &cache, &noCache)
		return cmd
	})
}
