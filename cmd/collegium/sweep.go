package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/collegium/collegium/pkg/sweep"
)

// submit writes the sbatch array of the sweep's pending points and submits
// it (dryRun: only writes it).
func submit(cmd *cobra.Command, plan *sweep.Plan, exe string, dryRun bool) error {
	w := cmd.OutOrStdout()
	pending, err := plan.Pending()
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		fmt.Fprintf(w, "all %d points of %s are finished: collegium report %s\n", len(plan.Points), plan.Dir, plan.Dir)
		return nil
	}
	script, err := plan.WriteSbatch(exe, pending)
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
	fmt.Fprintf(w, "submitted job %s: array of %d points (%s); then: collegium report %s\n", id, len(pending), script, plan.Dir)
	return nil
}

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var (
			out, executor string
			parallel      int
			point         int
			dryRun        bool
		)
		cmd := &cobra.Command{
			Use:   "sweep SPEC.yaml --out DIR | sweep --out DIR --point I",
			Short: "Train every point of a sweep (settings × seeds, or search rows × seeds) here or as a Slurm array",
			Long: "Expand SPEC.yaml into points (one run directory each under --out) and train them: --executor local runs\n" +
				"--parallel processes here, each given its share of the cores; --executor slurm writes an sbatch array\n" +
				"(one task per point) and submits it (--dry-run only writes it). Finished points are skipped and\n" +
				"interrupted ones resumed, so running a sweep again completes it. --point I (what each array task runs)\n" +
				"trains point I of the sweep planned in --out from its frozen config, without a spec. See docs/SCALE.md.",
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				onePoint := cmd.Flags().Changed("point")
				switch {
				case out == "":
					return fmt.Errorf("--out: the sweep directory is needed")
				case executor != "local" && executor != "slurm":
					return fmt.Errorf("--executor %q: want local or slurm", executor)
				case parallel < 1:
					return fmt.Errorf("--parallel %d: want ≥ 1", parallel)
				case dryRun && executor != "slurm":
					return fmt.Errorf("--dry-run writes the sbatch script of --executor slurm: give --executor slurm")
				case onePoint && executor != "local":
					return fmt.Errorf("--point runs one point here (what each Slurm array task does): it goes with --executor local")
				case onePoint && point < 0:
					return fmt.Errorf("--point %d: want ≥ 0", point)
				case onePoint && len(args) > 0:
					return fmt.Errorf("--point trains the point as frozen in --out when the sweep was planned: give no SPEC")
				case !onePoint && len(args) == 0:
					return fmt.Errorf("the sweep spec (SPEC.yaml) is needed")
				}
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("sweep: the collegium executable: %w", err)
				}
				ctx, stop := interruptContext(cmd.Context())
				defer stop()
				o := sweep.LocalOptions{Train: []string{exe, "train"}, Parallel: parallel, CPUs: runtime.NumCPU(), Log: logrus.StandardLogger()}
				var plan *sweep.Plan
				if onePoint {
					// An array task: the plan and configs frozen when the
					// sweep was submitted, not the spec as it is now.
					if plan, err = sweep.ReadPlan(out); err != nil {
						return err
					}
					o.Only, o.Parallel, o.CPUs = []int{point}, 1, 0
					if os.Getenv("SLURM_JOB_ID") != "" {
						o.Train, o.SignalledTogether = plan.Slurm.TrainCommand(exe), true
					}
				} else {
					spec, err := sweep.LoadSpec(args[0])
					if err != nil {
						return err
					}
					if plan, err = sweep.Expand(spec, out); err != nil {
						return err
					}
					lock, err := plan.Lock()
					if err != nil {
						return err
					}
					defer lock.Release()
					if err := plan.Save(); err != nil {
						return err
					}
				}
				w := cmd.OutOrStdout()
				if executor == "slurm" {
					return submit(cmd, plan, exe, dryRun)
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
				if ie := interruption(ctx); ie != nil {
					// The points cut short are not failures: the signal is
					// the outcome, and the exit status says which.
					for _, oc := range outcomes {
						if oc.Err != nil {
							logrus.WithField("point", oc.Point.Name).Warn(oc.Err)
						}
					}
					return fmt.Errorf("sweep %s: %w: run it again to resume its points", out, ie)
				}
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
		f.IntVar(&point, "point", 0, "run only this point of the sweep planned in --out, from its frozen config (what each Slurm array task does)")
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
