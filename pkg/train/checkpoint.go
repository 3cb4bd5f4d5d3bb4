package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/device"
)

// checkpoint is checkpoint.json: where the tensors are and everything else
// a resumed run needs to continue exactly as an uninterrupted one.
type checkpoint struct {
	// Tensors is the safetensors file beside checkpoint.json holding the
	// parameters, the BN running statistics and the optimizer state.
	Tensors string `json:"tensors"`
	Config  Config `json:"config"`
	// Epoch is the number of completed epochs, Step of optimizer steps.
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// Loader is the position of the next training batch; the loader's
	// shuffling and augmentation are functions of it and the seed, so it
	// is the whole random state of training.
	Loader datasets.LoaderState `json:"loader"`
	// The running sums of an epoch interrupted part-way.
	EpochLossSum float64 `json:"epoch_loss_sum"`
	EpochSteps   int     `json:"epoch_steps"`
	EpochTrainS  float64 `json:"epoch_train_s"`
	// WallS is the run's wall time so far.
	WallS   float64   `json:"wall_s"`
	History []Metrics `json:"history"`
}

// named is a device buffer with the name and shape it is saved under.
type named struct {
	name  string
	shape []int
	buf   device.Buffer
}

// buffers lists every tensor a checkpoint holds: parameters, BN state, and
// optimizer state as optimizer.<param>.<state>.
func (r *run) buffers() []named {
	var out []named
	for _, s := range r.opt.slots {
		out = append(out, named{s.param.Name, s.param.Shape, s.value})
	}
	for i, st := range r.train.State {
		out = append(out, named{st.Name, st.Shape, r.state[i]})
	}
	for _, s := range r.opt.slots {
		for k, name := range r.cfg.Optimizer.stateNames() {
			out = append(out, named{"optimizer." + s.param.Name + "." + name, s.param.Shape, s.state[k]})
		}
	}
	return out
}

// saveCheckpoint writes the tensors to a new file, then checkpoint.json
// naming it (each atomically), then removes older tensor files: a crash at
// any point leaves a complete checkpoint. Non-finite parameters are refused,
// so the last good checkpoint stays.
func (r *run) saveCheckpoint() error {
	var tensors []hostTensor
	for _, n := range r.buffers() {
		t := hostTensor{Name: n.name, Shape: n.shape}
		var err error
		if n.buf.Dtype() == tensor.Float64 {
			t.F64 = make([]float64, n.buf.Len())
			err = r.dev.Download(t.F64, n.buf)
		} else {
			t.F32 = make([]float32, n.buf.Len())
			err = r.dev.Download(t.F32, n.buf)
		}
		if err != nil {
			return fmt.Errorf("checkpoint: download %s: %w", n.name, err)
		}
		if !finite(t) {
			return fmt.Errorf("checkpoint: %s holds NaN or Inf; keeping the previous checkpoint", n.name)
		}
		tensors = append(tensors, t)
	}
	r.ck.Tensors = fmt.Sprintf("checkpoint-%08d.safetensors", r.ck.Step)
	meta := map[string]string{"format": "pt", "producer": "collegium", "model": r.cfg.Model.String()}
	err := atomicfile.Write(filepath.Join(r.dir, r.ck.Tensors), func(f io.Writer) error {
		return writeSafetensors(f, tensors, meta)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	b, err := json.MarshalIndent(r.ck, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: encode: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(r.dir, checkpointJSON), b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(r.dir, "checkpoint-*.safetensors"))
	for _, p := range old {
		if filepath.Base(p) != r.ck.Tensors {
			os.Remove(p)
		}
	}
	return nil
}

func finite(t hostTensor) bool {
	for _, v := range t.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	for _, v := range t.F64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// readCheckpoint reads dir's checkpoint.json.
func readCheckpoint(dir string) (checkpoint, error) {
	var ck checkpoint
	b, err := os.ReadFile(filepath.Join(dir, checkpointJSON))
	if errors.Is(err, os.ErrNotExist) {
		return ck, fmt.Errorf("resume %s: no %s there (was the run started with --out %s?)", dir, checkpointJSON, dir)
	}
	if err != nil {
		return ck, fmt.Errorf("resume: %w", err)
	}
	if err := json.Unmarshal(b, &ck); err != nil {
		return ck, fmt.Errorf("resume: %s: %w", filepath.Join(dir, checkpointJSON), err)
	}
	return ck, nil
}

// loadTensors uploads the checkpoint's tensors into the run's buffers,
// checking that every name, shape and dtype matches.
func (r *run) loadTensors() error {
	path := filepath.Join(r.dir, r.ck.Tensors)
	tensors, _, err := readSafetensors(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	for _, n := range r.buffers() {
		t, ok := tensors[n.name]
		if !ok {
			return fmt.Errorf("resume: %s has no tensor %s (a different model or optimizer?)", path, n.name)
		}
		if !slices.Equal(t.Shape, n.shape) {
			return fmt.Errorf("resume: %s: tensor %s has shape %v, the model wants %v", path, n.name, t.Shape, n.shape)
		}
		var host any = t.F32
		if n.buf.Dtype() == tensor.Float64 {
			host = t.F64
		}
		if t.F32 == nil && n.buf.Dtype() == tensor.Float32 || t.F64 == nil && n.buf.Dtype() == tensor.Float64 {
			return fmt.Errorf("resume: %s: tensor %s is %s, the run uses %v", path, n.name, t.dtype(), n.buf.Dtype())
		}
		if err := r.dev.Upload(n.buf, host); err != nil {
			return fmt.Errorf("resume: upload %s: %w", n.name, err)
		}
	}
	return nil
}

// CheckpointTensors returns every tensor of the checkpoint of the run in
// dir (parameters, BN running statistics, optimizer state) by name, as
// float64, so that others can evaluate the trained model (the NTK of the
// trained parameters, for instance).
func CheckpointTensors(dir string) (map[string][]float64, error) {
	ck, err := readCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	tensors, _, err := readSafetensors(filepath.Join(dir, ck.Tensors))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]float64, len(tensors))
	for name, t := range tensors {
		if t.F64 != nil {
			out[name] = t.F64
			continue
		}
		out[name] = make([]float64, len(t.F32))
		for i, v := range t.F32 {
			out[name][i] = float64(v)
		}
	}
	return out, nil
}
