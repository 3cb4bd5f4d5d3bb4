package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/collegium/collegium/pkg/train"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var out string
		cmd := &cobra.Command{
			Use:   "plot RUN...",
			Short: "Overlay the loss and accuracy curves of training runs in one PNG or SVG",
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				runs := make([]train.RunMetrics, len(args))
				for i, dir := range args {
					h, err := train.ReadMetrics(dir)
					if err != nil {
						return err
					}
					runs[i] = train.RunMetrics{Name: filepath.Base(filepath.Clean(dir)), History: h}
				}
				if err := train.PlotRuns(out, runs); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", out)
				return nil
			},
		}
		cmd.Flags().StringVar(&out, "out", "curves.png", "output file (.png or .svg)")
		return cmd
	})
}
