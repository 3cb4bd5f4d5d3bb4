package train

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/internal/strictdecode"
	"github.com/collegium/collegium/pkg/device"
)

// checkpoint is checkpoint.json: where the tensors are and everything else
// a resumed run needs to continue exactly as an uninterrupted one.
type checkpoint struct {
	// Tensors is the safetensors file beside checkpoint.json holding the
	// parameters, the BN running statistics and the optimizer state.
	Tensors string `json:"tensors"`
	// TensorsSHA256 is the hex SHA-256 of that file, checked on load.
	// Checkpoints written before it existed have none and load with a
	// warning; the next checkpoint of the run has one.
	TensorsSHA256 string `json:"tensors_sha256,omitempty"`
	Config        Config `json:"config"`
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
	// Overrides are the settings changed by resumes, oldest first.
	Overrides []Override `json:"overrides,omitempty"`
}

// tensorFilePattern matches the tensor files a run writes.
const tensorFilePattern = "checkpoint-*.safetensors"

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
// naming it with its SHA-256, then config.yaml (each atomically), then
// removes older tensor files: a crash at any point leaves a complete
// checkpoint. Non-finite tensors are refused, so the last good checkpoint
// stays.
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
	ck := r.ck
	ck.Tensors = fmt.Sprintf("checkpoint-%08d.safetensors", ck.Step)
	meta := map[string]string{"format": "pt", "producer": "collegium", "model": r.cfg.Model.String()}
	sum := sha256.New()
	err := atomicfile.Write(filepath.Join(r.dir, ck.Tensors), func(f io.Writer) error {
		return writeSafetensors(io.MultiWriter(f, sum), tensors, meta)
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ck.TensorsSHA256 = hex.EncodeToString(sum.Sum(nil))
	b, err := json.MarshalIndent(ck, "", "  ")
	if err != nil {
		return fmt.Errorf("checkpoint: encode: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(r.dir, checkpointJSON), b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	r.ck = ck
	r.lastGood = describeCheckpoint(r.dir, ck)
	if err := writeRunConfig(r.dir, ck); err != nil {
		return err
	}
	return removeStaleTensors(r.dir, ck.Tensors)
}

// describeCheckpoint names a checkpoint in messages.
func describeCheckpoint(dir string, ck checkpoint) string {
	return fmt.Sprintf("after %d epochs and %d steps, in %s", ck.Epoch, ck.Step, filepath.Join(dir, checkpointJSON))
}

// removeStaleTensors deletes the tensor files in dir other than keep (""
// for all): those of older checkpoints, and one written by a run that died
// before checkpoint.json named it.
func removeStaleTensors(dir, keep string) error {
	old, err := filepath.Glob(filepath.Join(dir, tensorFilePattern))
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, p := range old {
		if filepath.Base(p) != keep {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("checkpoint: remove stale %w", err)
			}
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

// readCheckpoint reads and checks dir's checkpoint.json.
func readCheckpoint(dir string) (checkpoint, error) {
	path := filepath.Join(dir, checkpointJSON)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return checkpoint{}, fmt.Errorf("resume %s: no %s there (was the run started with --out %s?)", dir, checkpointJSON, dir)
	}
	if err != nil {
		return checkpoint{}, fmt.Errorf("resume: %w", err)
	}
	ck, err := parseCheckpoint(b)
	if err != nil {
		return checkpoint{}, fmt.Errorf("resume: %s: %w", path, err)
	}
	return ck, nil
}

// parseCheckpoint decodes checkpoint.json strictly and checks that its
// parts agree with each other.
func parseCheckpoint(b []byte) (checkpoint, error) {
	var ck checkpoint
	if err := strictdecode.JSON(b, &ck); err != nil {
		return ck, err
	}
	if err := checkTensorName(ck.Tensors); err != nil {
		return ck, err
	}
	if s := ck.TensorsSHA256; s != "" {
		if d, err := hex.DecodeString(s); err != nil || len(d) != sha256.Size || s != strings.ToLower(s) {
			return ck, fmt.Errorf("tensors_sha256 %q: want 64 lower-case hex digits", s)
		}
	}
	if err := ck.Config.Validate(); err != nil {
		return ck, fmt.Errorf("config: %w", err)
	}
	switch {
	case ck.Epoch < 0 || ck.Epoch > ck.Config.Epochs:
		return ck, fmt.Errorf("epoch %d outside the run's [0, %d]", ck.Epoch, ck.Config.Epochs)
	case len(ck.History) != ck.Epoch:
		return ck, fmt.Errorf("%d epochs done but %d in the history", ck.Epoch, len(ck.History))
	case ck.Step < 0 || ck.EpochSteps < 0 || ck.EpochSteps > ck.Step:
		return ck, fmt.Errorf("step %d with %d in the current epoch", ck.Step, ck.EpochSteps)
	case ck.Loader.Epoch < 0 || ck.Loader.Batch < 0 || ck.Loader.Seed != ck.Config.Seed || ck.Loader.BatchSize != ck.Config.BatchSize:
		return ck, fmt.Errorf("loader position %+v does not fit seed %d and batch size %d", ck.Loader, ck.Config.Seed, ck.Config.BatchSize)
	case !finiteAtLeast0(ck.EpochTrainS) || !finiteAtLeast0(ck.WallS) || math.IsNaN(ck.EpochLossSum) || math.IsInf(ck.EpochLossSum, 0):
		return ck, fmt.Errorf("epoch sums (loss %v, %v s) or wall time %v s not finite", ck.EpochLossSum, ck.EpochTrainS, ck.WallS)
	}
	for _, o := range ck.Overrides {
		if o.Key == "" || o.FromEpoch < 1 || o.FromStep < 1 {
			return ck, fmt.Errorf("override %+v", o)
		}
	}
	return ck, nil
}

func finiteAtLeast0(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// checkTensorName accepts only a .safetensors file directly inside the run
// directory: checkpoint.json must not make a run load (or later delete)
// files elsewhere.
func checkTensorName(name string) error {
	if !filepath.IsLocal(name) || filepath.Base(name) != name || !strings.HasSuffix(name, ".safetensors") {
		return fmt.Errorf("tensors %q: want the name of a .safetensors file in the run directory itself", name)
	}
	return nil
}

// loadTensors checks the checkpoint's tensor file (a regular file, its
// SHA-256, finite values) and uploads every tensor into the run's buffers,
// checking that names, shapes and dtypes match the model exactly.
func (r *run) loadTensors() error {
	path := filepath.Join(r.dir, r.ck.Tensors)
	if r.ck.TensorsSHA256 == "" {
		r.log.Warnf("resume: %s has no tensors_sha256 (written by an older Collegium): %s cannot be verified", checkpointJSON, path)
	}
	tensors, err := checkedTensors(path, r.ck.TensorsSHA256)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	want := r.buffers()
	for _, n := range want {
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
		if !finite(t) {
			return fmt.Errorf("resume: %s: tensor %s holds NaN or Inf: training cannot continue from this checkpoint", path, n.name)
		}
		if err := r.dev.Upload(n.buf, host); err != nil {
			return fmt.Errorf("resume: upload %s: %w", n.name, err)
		}
	}
	if len(tensors) != len(want) {
		for name := range tensors {
			if !slices.ContainsFunc(want, func(n named) bool { return n.name == name }) {
				return fmt.Errorf("resume: %s has tensor %s, which the model does not (a different model or optimizer?)", path, name)
			}
		}
	}
	r.lastGood = describeCheckpoint(r.dir, r.ck)
	return nil
}

// checkedTensors reads the tensor file at path, which must be a regular
// file whose SHA-256 is wantSHA (unchecked when empty), and parses it.
func checkedTensors(path, wantSHA string) (map[string]hostTensor, error) {
	if fi, err := os.Lstat(path); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if got := sha256.Sum256(b); wantSHA != "" && hex.EncodeToString(got[:]) != wantSHA {
		return nil, fmt.Errorf("%s has SHA-256 %x, %s says %s: the file was changed or corrupted", path, got, checkpointJSON, wantSHA)
	}
	tensors, _, err := parseSafetensors(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tensors, nil
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
	tensors, err := checkedTensors(filepath.Join(dir, ck.Tensors), ck.TensorsSHA256)
	if err != nil {
		return nil, fmt.Errorf("checkpoint of %s: %w", dir, err)
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
