package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/collegium/collegium/pkg/sweep"
)

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			out, executor string
			parallel      int
			point         int
			dryRun        bool
		)
		cmd := &cobra.Command{
			Use:   "sweep SPEC.yaml",
			Short: "Train every point of a sweep (settings × seeds, or search rows × seeds) here or as a Slurm array",
			Long: "Expand SPEC.yaml into points (one run directory each under --out) and train them: --executor local runs\n" +
				"--parallel processes here, each given its share of the cores; --executor slurm writes an sbatch array\n" +
				"(one task per point) and submits it (--dry-run only writes it). Finished points are skipped and\n" +
				"interrupted ones resumed, so running a sweep again completes it. See docs/SCALE.md.",
			Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if out == "" {
					return fmt.Errorf("--out: the sweep directory is needed")
				}
				if executor != "local" && executor != "slurm" {
					return fmt.Errorf("--executor %q: want local or slurm", executor)
				}
				if parallel < 1 {
					return fmt.Errorf("--parallel %d: want ≥ 1", parallel)
				}
				spec, err := sweep.LoadSpec(args[0])
				if err != nil {
					return err
				}
				plan, err := sweep.Expand(spec, out)
				if err != nil {
					return err
				}
				if err := spec.Save(plan); err != nil {
					return err
				}
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("sweep: the collegium executable: %w", err)
				}
				w := cmd.OutOrStdout()
				if executor == "slurm" {
					pending, err := plan.Pending()
					if err != nil {
						return err
					}
					if len(pending) == 0 {
						fmt.Fprintf(w, "all %d points of %s are finished: collegium report %s\n", len(plan.Points), out, out)
						return nil
					}
					script, err := plan.WriteSbatch(spec.Slurm, exe, args[0], pending)
					if err != nil {
						return err
					}
					if dryRun {
						fmt.Fprintf(w, "wrote %s (an array of %d points); submit with: sbatch %s\n", script, len(pending), script)
						return nil
					}
					id, err := sweep.Submit(cmd.Context(), script)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, "submitted job %s: array of %d points (%s); then: collegium report %s\n", id, len(pending), script, out)
					return nil
				}
				if dryRun {
					return fmt.Errorf("--dry-run writes the sbatch script of --executor slurm")
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				o := sweep.LocalOptions{Train: []string{exe, "train"}, Parallel: parallel, CPUs: runtime.NumCPU(), Log: logrus.StandardLogger()}
				if cmd.Flags().Changed("point") {
					o.Only, o.Parallel, o.CPUs = []int{point}, 1, 0
					if os.Getenv("SLURM_JOB_ID") != "" {
						o.Train = spec.Slurm.TrainCommand(exe)
					}
				}
				outcomes, err := plan.RunLocal(ctx, o)
				counts := map[sweep.Action]int{}
				for _, oc := range outcomes {
					if oc.Err == nil {
						counts[oc.Action]++
					}
				}
				fmt.Fprintf(w, "sweep %s: %d points: %d started, %d resumed, %d skipped (finished before), %d failed\n", out, len(outcomes),
					counts[sweep.Started], counts[sweep.Resumed], counts[sweep.Skipped], len(outcomes)-counts[sweep.Started]-counts[sweep.Resumed]-counts[sweep.Skipped])
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "report: collegium report %s\n", out)
				return nil
			},
		}
		f := cmd.Flags()
		f.StringVar(&out, "out", "", "sweep directory: sweep.json, configs/, one run directory per point, logs/")
		f.StringVar(&executor, "executor", "local", "local (processes here) or slurm (an sbatch array)")
		f.IntVar(&parallel, "parallel", 1, "local: points trained at once, sharing the cores")
		f.IntVar(&point, "point", 0, "run only this point (what each Slurm array task does)")
		f.BoolVar(&dryRun, "dry-run", false, "slurm: write the sbatch script, do not submit it")
		return cmd
	}, func() *cobra.Command {
		var out string
		cmd := &cobra.Command{
			Use:   "report SWEEP_DIR",
			Short: "Final metrics of a sweep per configuration (mean ± sd over seeds) beside the search's V: Markdown, CSV, curves",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				plan, err := sweep.ReadPlan(args[0])
				if err != nil {
					return err
				}
				rep, err := sweep.Summarize(plan)
				if err != nil {
					return err
				}
				if out == "" {
					out = args[0]
				}
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				if err := rep.WriteFiles(out); err != nil {
					return err
				}
				if err := rep.WriteMarkdown(cmd.OutOrStdout()); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nwrote %s, %s and %s.{svg,png} in %s\n", sweep.ReportMarkdown, sweep.ReportCSV, sweep.ReportCurves, out)
				return nil
			},
		}
		cmd.Flags().StringVar(&out, "out", "", "directory for the report files (default: the sweep directory)")
		return cmd
	})
}
