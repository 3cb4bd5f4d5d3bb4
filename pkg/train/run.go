package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/dist"
	"github.com/collegium/collegium/pkg/engine"
	"github.com/collegium/collegium/pkg/models"
)

// Datasets are a run's training and test sets.
type Datasets struct {
	Train, Test *datasets.Dataset
}

// LoadDatasets loads the training and test splits that d names, cut to
// d.TrainLimit and d.TestLimit images when those are set. It returns as
// soon as ctx is cancelled, with ctx's cause: a read then in progress (a
// slow disk, a pipe that never delivers) finishes in the background and its
// result is dropped. Where each split was found goes to log (nil: the lines
// are dropped).
func LoadDatasets(ctx context.Context, d Data, log logrus.FieldLogger) (Datasets, error) {
	type loaded struct {
		ds  Datasets
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		ds, err := loadDatasets(ctx, d, log)
		done <- loaded{ds, err}
	}()
	select {
	case l := <-done:
		return l.ds, l.err
	case <-ctx.Done():
		return Datasets{}, fmt.Errorf("load data: %w", context.Cause(ctx))
	}
}

func loadDatasets(ctx context.Context, d Data, log logrus.FieldLogger) (Datasets, error) {
	train, err := datasets.Load(ctx, d.Dataset, datasets.Train, d.Dir, log)
	if err != nil {
		return Datasets{}, fmt.Errorf("load training set: %w", err)
	}
	test, err := datasets.Load(ctx, d.Dataset, datasets.Test, d.Dir, log)
	if err != nil {
		return Datasets{}, fmt.Errorf("load test set: %w", err)
	}
	if train, err = head(train, d.TrainLimit, "data.train_limit"); err != nil {
		return Datasets{}, err
	}
	if test, err = head(test, d.TestLimit, "data.test_limit"); err != nil {
		return Datasets{}, err
	}
	return Datasets{Train: train, Test: test}, nil
}

// head returns the first n images of d (all of them when n is 0); key names
// the setting in errors.
func head(d *datasets.Dataset, n int, key string) (*datasets.Dataset, error) {
	if n == 0 || n == d.Len() {
		return d, nil
	}
	if n > d.Len() {
		return nil, fmt.Errorf("%s %d: the %s split of %s has only %d images", key, n, d.Split, d.Name, d.Len())
	}
	h := *d
	h.Images, h.Labels = d.Images[:n*d.ImageSize()], d.Labels[:n]
	return &h, nil
}

// Options are what a run needs besides its Config.
type Options struct {
	Device device.Device
	// Data is what the run trains and evaluates on: Datasets or
	// ImageFolders.
	Data DataSource
	// Resume continues the run in Config.Out from its checkpoint.
	Resume bool
	// Dir, when set, is the run directory, already taken by the caller
	// (who closes it); Config.Out must be empty or name it. Otherwise Run
	// takes Config.Out itself (CreateDir, or OpenDir to resume) and
	// releases it when it returns. Only rank 0 of a job (see Comm) takes
	// one: the other ranks write nothing.
	Dir *Dir
	// Stderr receives log lines and the progress bar (nil: os.Stderr).
	Stderr io.Writer
	// Terminal draws a progress bar; otherwise progress is logged.
	Terminal bool
	// OnStep, when set, is called after every optimizer step with the
	// number of steps done (cancelling the run's context from it stops
	// the run after that step).
	OnStep func(step int)
	// Comm is the job this process trains in as one rank (nil: a job of
	// one). Config.BatchSize is the global batch: each rank trains on its
	// share and the gradients are averaged over the ranks; rank 0 alone
	// evaluates and writes the run directory. Every rank must be given the
	// same Config (and Resume).
	Comm dist.Comm
}

// Result is what a run did.
type Result struct {
	Dir     string
	History []Metrics
	// Interrupted says the context was cancelled: the run stopped after a
	// whole step and wrote a checkpoint to resume from.
	Interrupted bool
}

// ErrNonFinite is wrapped by the error of a run stopped by a NaN or
// infinite loss.
var ErrNonFinite = errors.New("loss is not finite")

// ResumeConfig returns the configuration saved in the checkpoint of the
// run in dir, with Out set to dir.
func ResumeConfig(dir string) (Config, error) {
	ck, err := readCheckpoint(dir)
	if err != nil {
		return Config{}, err
	}
	ck.Config.Out = dir
	return ck.Config, nil
}

// run is one training run in progress.
type run struct {
	cfg    Config
	opts   Options
	dev    device.Device
	dir    string
	log    *logrus.Logger
	train  *models.Model
	eval   *models.Model
	tp, ep *engine.Plan
	opt    *optimizerState
	state  []device.Buffer // BN running statistics, shared by both plans
	loader BatchSource
	ck     checkpoint
	// perEpoch is the number of steps per epoch.
	perEpoch int
	// lastGood describes the last checkpoint written or loaded, "" if none.
	lastGood string
	closers  []func()
	// comm is the job of ranks; avg averages gradients over it (nil for a
	// job of one); rankBatch is this rank's share of the global batch.
	comm      dist.Comm
	avg       dist.Averager
	rankBatch int
}

// Run trains the model of cfg on opts.Data with opts.Device, evaluating,
// recording metrics and checkpointing after every epoch. When ctx is
// cancelled it finishes the current step, writes a checkpoint and returns
// with Result.Interrupted set. A non-finite loss stops the run with an
// error wrapping ErrNonFinite, keeping the last good checkpoint.
//
// The run directory is held (see Dir) for the whole run, and an error that
// ends the run is also written to its train.log.
func Run(ctx context.Context, cfg Config, opts Options) (*Result, error) {
	if opts.Dir == nil && leads(opts.Comm) {
		var err error
		if opts.Resume {
			opts.Dir, err = OpenDir(cfg.Out)
		} else {
			opts.Dir, err = CreateDir(cfg.Out)
		}
		if err != nil {
			return nil, err
		}
		defer opts.Dir.Close()
	}
	res, err := runIn(ctx, cfg, opts)
	if err != nil && opts.Dir != nil {
		opts.Dir.LogFailure(err)
	}
	return res, err
}

// leads reports whether a process of the job comm (nil: a job of one) is
// its rank 0, the one that holds and writes the run directory.
func leads(comm dist.Comm) bool { return comm == nil || comm.Rank() == 0 }

// runIn is Run in the directory opts.Dir.
func runIn(ctx context.Context, cfg Config, opts Options) (*Result, error) {
	r, err := newRun(cfg, opts)
	if r != nil {
		defer r.close()
	}
	if err != nil {
		return nil, err
	}
	return r.loop(ctx)
}

// newRun checks cfg, prepares the run directory, builds and compiles the
// models and sets the initial (or resumed) state. The returned run, even
// with an error, must be closed.
func newRun(cfg Config, opts Options) (*run, error) {
	if opts.Device == nil || opts.Data == nil {
		return nil, errors.New("train: a device and the data are needed")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := fitSpec(&cfg, opts.Data); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, opts: opts, dev: opts.Device}
	if err := r.joinRanks(); err != nil {
		return r, err
	}
	if err := r.openDir(); err != nil {
		return r, err
	}
	if err := r.compile(); err != nil {
		return r, err
	}
	if err := r.initState(); err != nil {
		return r, err
	}
	return r, nil
}

// fitSpec fills the model's input shape and classes from the data, or
// checks them against it.
func fitSpec(cfg *Config, d DataSource) error {
	in, classes, err := d.Shape(cfg.Data)
	if err != nil {
		return err
	}
	s := &cfg.Model
	if s.Input == (models.Input{}) {
		s.Input = in
	}
	if s.Classes == 0 {
		s.Classes = classes
	}
	if s.Input != in || s.Classes != classes {
		return fmt.Errorf("config: model input %+v with %d classes, but dataset %s has %+v with %d", s.Input, s.Classes, cfg.Data.Dataset, in, classes)
	}
	if err := s.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// openDir sets up the run in the directory taken: its log, and its
// resolved config.yaml (a new run) or its checkpoint (a resumed one). Ranks
// other than 0 write nothing (followDir).
func (r *run) openDir() error {
	if !r.leader() {
		r.dir = r.cfg.Out
		return r.followDir()
	}
	d := r.opts.Dir
	if r.cfg.Out != "" && filepath.Clean(r.cfg.Out) != filepath.Clean(d.Path) {
		return fmt.Errorf("config out %s, but the run directory taken is %s", r.cfg.Out, d.Path)
	}
	r.cfg.Out, r.dir = d.Path, d.Path
	r.log = d.Logger(r.stderr())
	if len(d.Removed) > 0 {
		r.log.WithField("files", d.Removed).Info("removed the leftovers of interrupted writes")
	}
	if !r.opts.Resume {
		r.ck.Config = r.cfg
		if err := removeStaleTensors(r.dir, ""); err != nil {
			return err
		}
		return writeRunConfig(r.dir, r.ck)
	}
	ck, err := readCheckpoint(r.dir)
	if err != nil {
		return err
	}
	changed, err := resumeOverrides(ck, r.cfg)
	if err != nil {
		return err
	}
	// config.yaml follows checkpoint.json: it gets the new settings with the
	// next checkpoint, so a resume that fails before one leaves both as
	// they were (this write repairs a crash between the two).
	if err := writeRunConfig(r.dir, ck); err != nil {
		return err
	}
	if err := removeStaleTensors(r.dir, ck.Tensors); err != nil {
		return err
	}
	for _, o := range changed {
		r.log.WithField("setting", o.Key).Warnf("resumed with a changed setting: %s", o)
	}
	r.ck = ck
	r.ck.Config = r.cfg
	r.ck.Overrides = append(r.ck.Overrides, changed...)
	return nil
}

// compile builds and compiles the training and eval models, and shares the
// training plan's parameter and BN buffers with the eval plan.
func (r *run) compile() error {
	dt := tensor.Float32
	if r.cfg.Dtype == "float64" {
		dt = tensor.Float64
	}
	evalBatch := r.cfg.EvalBatchSize
	var err error
	if r.train, err = models.Build(r.cfg.Model, r.rankBatch, dt, true); err != nil {
		return err
	}
	if r.eval, err = models.Build(r.cfg.Model, evalBatch, dt, false); err != nil {
		return err
	}
	keep := []*G.Node{r.train.Loss}
	for _, p := range r.train.Params {
		keep = append(keep, p.Grad)
	}
	if r.tp, err = engine.Compile(r.train.Graph, r.trainDevice(), keep...); err != nil {
		return fmt.Errorf("compile training graph of %s: %w", r.cfg.Model, err)
	}
	r.closers = append(r.closers, func() { r.tp.Close() })
	if r.ep, err = engine.Compile(r.eval.Graph, r.dev, r.eval.Logits); err != nil {
		return fmt.Errorf("compile eval graph of %s: %w", r.cfg.Model, err)
	}
	r.closers = append(r.closers, func() { r.ep.Close() })
	slots := make([]slot, len(r.train.Params))
	for i, p := range r.train.Params {
		s := slot{param: p, lrScale: p.LRScale}
		if s.value, err = r.tp.Buffer(p.Node); err != nil {
			return err
		}
		if s.grad, err = r.tp.Buffer(p.Grad); err != nil {
			return err
		}
		if err := r.ep.Bind(r.eval.Params[i].Node, s.value); err != nil {
			return err
		}
		slots[i] = s
	}
	for i, st := range r.train.State {
		b, err := r.tp.Buffer(st.Node)
		if err != nil {
			return err
		}
		if err := r.ep.Bind(r.eval.State[i].Node, b); err != nil {
			return err
		}
		r.state = append(r.state, b)
	}
	if r.opt, err = newOptimizerState(r.dev, r.cfg.Optimizer, slots); err != nil {
		return err
	}
	r.closers = append(r.closers, r.opt.close)
	return nil
}

// initState draws the initial parameters from the seed (or loads the
// checkpoint) and starts the training-batch loader at the right position.
func (r *run) initState() error {
	if r.opts.Resume {
		if err := r.loadTensors(); err != nil {
			return err
		}
	} else {
		for _, s := range r.opt.slots {
			if err := r.dev.Upload(s.value, hostAs(s.value.Dtype(), s.param.Values(r.cfg.Seed))); err != nil {
				return fmt.Errorf("initialise %s: %w", s.param.Name, err)
			}
		}
		for i, st := range r.train.State {
			if err := r.dev.Upload(r.state[i], hostAs(r.state[i].Dtype(), st.Values())); err != nil {
				return fmt.Errorf("initialise %s: %w", st.Name, err)
			}
		}
	}
	l, err := r.opts.Data.TrainBatches(context.Background(), r.cfg)
	if err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	r.loader = l
	r.closers = append(r.closers, l.Close)
	r.perEpoch = l.BatchesPerEpoch()
	if err := r.shareData(); err != nil {
		return err
	}
	if r.opts.Resume {
		if err := l.Seek(r.ck.Loader); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	}
	// A checkpoint written before the first step (a signal right at the
	// start) must hold the loader's starting position too.
	r.ck.Loader = l.State()
	return nil
}

// hostAs gives v in the host slice type of dt, without copying when it
// already is.
func hostAs[T float32 | float64](dt tensor.Dtype, v []T) any {
	if dt == tensor.Float64 {
		return convert[float64](v)
	}
	return convert[float32](v)
}

func convert[D, S float32 | float64](v []S) []D {
	if d, ok := any(v).([]D); ok {
		return d
	}
	out := make([]D, len(v))
	for i, x := range v {
		out[i] = D(x)
	}
	return out
}

func (r *run) stderr() io.Writer {
	if r.opts.Stderr == nil {
		return os.Stderr
	}
	return r.opts.Stderr
}

func (r *run) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}
