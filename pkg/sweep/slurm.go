package sweep

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/train"
)

// SbatchFile is the array job script's name in the sweep directory.
const SbatchFile = "sweep.sbatch"

// Pending returns the indices of the points not finished yet.
func (p *Plan) Pending() ([]int, error) {
	var out []int
	for _, pt := range p.Points {
		st, err := train.ReadStatus(p.RunDir(pt))
		if err != nil {
			return nil, err
		}
		if !st.Done() {
			out = append(out, pt.Index)
		}
	}
	return out, nil
}

// WriteSbatch writes the Slurm array job (with the sbatch settings of
// p.Slurm) that runs the points of p listed in indices, one array task per
// point: each task runs `EXE sweep --out DIR --point $SLURM_ARRAY_TASK_ID`,
// which skips the point if it has finished, resumes it if it was
// interrupted, and else trains its frozen config. It returns the script's
// path.
func (p *Plan) WriteSbatch(exe string, indices []int) (string, error) {
	s := p.Slurm
	if len(indices) == 0 {
		return "", fmt.Errorf("sweep: no point to submit")
	}
	if strings.ContainsFunc(p.Dir, unicode.IsControl) {
		return "", fmt.Errorf("sweep: directory %q: a control character would break its #SBATCH --output line", p.Dir)
	}
	ids := make([]string, len(indices))
	for i, x := range indices {
		ids[i] = strconv.Itoa(x)
	}
	array := strings.Join(ids, ",")
	if s.Parallel > 0 {
		array += "%" + strconv.Itoa(s.Parallel)
	}
	logs := filepath.Join(p.Dir, "slurm")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return "", fmt.Errorf("sweep: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=collegium-sweep\n#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(logs, "%A_%a.out"))
	fmt.Fprintf(&b, "#SBATCH --ntasks=%d\n", max(s.NTasks, 1))
	if s.CPUsPerTask > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.CPUsPerTask)
	}
	if s.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", s.Partition)
	}
	if s.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", s.Time)
	}
	for _, o := range s.Options {
		fmt.Fprintf(&b, "#SBATCH %s\n", o)
	}
	fmt.Fprintf(&b, "# One task per point of the sweep in %s (sweep.json): a finished point is\n", p.Dir)
	b.WriteString("# skipped, an interrupted one resumed from its checkpoint.\n")
	if s.CPUsPerTask > 0 {
		b.WriteString("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-1}\"\n")
	}
	fmt.Fprintf(&b, "exec %s sweep --out %s --point \"$SLURM_ARRAY_TASK_ID\"\n", quote(exe), quote(p.Dir))
	path := filepath.Join(p.Dir, SbatchFile)
	if err := atomicfile.WriteBytes(path, b.Bytes()); err != nil {
		return "", fmt.Errorf("sweep: %w", err)
	}
	return path, nil
}

// Submit submits the script with `sbatch --parsable` and returns the job id.
func Submit(ctx context.Context, script string) (string, error) {
	cmd := exec.CommandContext(ctx, "sbatch", "--parsable", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if id == "" {
		return "", fmt.Errorf("sbatch %s printed no job id", script)
	}
	return id, nil
}

// quote makes s one word for bash.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
