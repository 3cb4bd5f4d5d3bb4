// Package sweep expands a sweep (a base training config and lists of
// settings, or the top rows of `collegium search` outputs, crossed with
// seeds) into points, one run directory each with a stable name; runs them
// as `collegium train` processes on this machine (K at a time, each given
// its share of the cores) or as a Slurm job array (sbatch), skipping
// finished points and resuming interrupted ones; and reports the final
// metrics of every configuration as mean ± sd over its seeds, beside the
// search's predicted V, as Markdown, CSV and overlaid curves.
//
// Scheduling is Slurm's; locking a run directory against a second process
// is `collegium train`'s own.
package sweep
