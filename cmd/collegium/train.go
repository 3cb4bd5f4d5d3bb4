package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/registry"
	"github.com/collegium/collegium/pkg/dist"
	"github.com/collegium/collegium/pkg/train"
)

// trainFlags maps each flag that overrides a setting to the setting's
// dotted path in the config file.
var trainFlags = []struct{ flag, key string }{
	{"family", "model.family"},
	{"members", "model.members"},
	{"width", "model.width"},
	{"depth", "model.depth"},
	{"aggregation", "model.aggregation"},
	{"parameterization", "model.parameterization"},
	{"dataset", "data.dataset"},
	{"data-dir", "data.dir"},
	{"image-size", "data.image_size"},
	{"train-limit", "data.train_limit"},
	{"test-limit", "data.test_limit"},
	{"epochs", "epochs"},
	{"batch-size", "batch_size"},
	{"eval-batch-size", "eval_batch_size"},
	{"optimizer", "optimizer.kind"},
	{"lr", "optimizer.lr"},
	{"momentum", "optimizer.momentum"},
	{"nesterov", "optimizer.nesterov"},
	{"weight-decay", "optimizer.weight_decay"},
	{"schedule", "schedule.kind"},
	{"milestones", "schedule.milestones"},
	{"warmup-epochs", "schedule.warmup_epochs"},
	{"seed", "seed"},
	{"device", "device"},
	{"dtype", "dtype"},
	{"tf32", "tf32"},
	{"sync-bn", "sync_bn"},
	{"out", "out"},
}

func init() {
	subcommands = append(subcommands, func() *cobra.Command {
		var configPath, resume string
		cmd := &cobra.Command{
			Use:   "train",
			Short: "Train a collegial ensemble or a baseline (default: an MLP-CE on MNIST on the CPU)",
			Long: "Train a model as --config and the flags say (flags override the file). With no arguments it trains\n" +
				"the default MLP-CE on MNIST. Outputs go to --out (default runs/<timestamp>); Ctrl-C stops after the\n" +
				"current step with a checkpoint that --resume continues exactly. See docs/TRAINING.md.",
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx, stop := interruptContext(cmd.Context())
				defer stop()
				return runTraining(ctx, cmd, configPath, resume)
			},
		}
		addTrainFlags(cmd.Flags(), &configPath, &resume)
		return cmd
	})
}

func addTrainFlags(f *pflag.FlagSet, configPath, resume *string) {
	d := train.Default()
	f.StringVar(configPath, "config", "", "YAML or JSON config file (flags override it)")
	f.StringVar(resume, "resume", "", "continue the run in this directory from its checkpoint")
	f.String("family", string(d.Model.Family), "model family: mlp, convnet, resnext29, resnext50, resnext101")
	f.Int("members", d.Model.Members, "members m (ResNeXt: cardinality)")
	f.Int("width", d.Model.Width, "width n per member (ResNeXt: base width per group)")
	f.Int("depth", d.Model.Depth, "depth L: hidden layers (mlp), convolutions (convnet), 2+9k (resnext29)")
	f.String("aggregation", string(d.Model.Aggregation), "member aggregation: mean (1/m) or sqrt (1/√m)")
	f.String("parameterization", string(d.Model.Parameterization), "standard or ntk (mlp, convnet)")
	f.String("dataset", d.Data.Dataset, "dataset: "+strings.Join(datasets.Names(), ", ")+", or "+datasets.ImageNet+" (a folder tree, see --data-dir)")
	f.String("data-dir", d.Data.Dir, "directory to look for the dataset first (imagenet: the tree D/train/CLASS/*.JPEG, D/val/CLASS/*.JPEG)")
	f.Int("image-size", d.Data.ImageSize, "imagenet: side of the square training and evaluation images (0: 224)")
	f.Int("train-limit", 0, "train on the first N training images only (0: all; not for imagenet)")
	f.Int("test-limit", 0, "evaluate on the first N test images only (0: all; not for imagenet)")
	f.Int("epochs", d.Epochs, "epochs")
	f.Int("batch-size", d.BatchSize, "training batch size")
	f.Int("eval-batch-size", d.EvalBatchSize, "evaluation batch size")
	f.String("optimizer", d.Optimizer.Kind, "sgd, adam or adamw")
	f.Float64("lr", d.Optimizer.LR, "base learning rate")
	f.Float64("momentum", d.Optimizer.Momentum, "SGD momentum")
	f.Bool("nesterov", d.Optimizer.Nesterov, "Nesterov momentum")
	f.Float64("weight-decay", d.Optimizer.WeightDecay, "weight decay (coupled for sgd and adam, decoupled for adamw)")
	f.String("schedule", d.Schedule.Kind, "learning-rate schedule: constant, multistep or cosine")
	f.IntSlice("milestones", d.Schedule.Milestones, "multistep: epochs at which the rate is multiplied by the schedule's gamma")
	f.Float64("warmup-epochs", d.Schedule.WarmupEpochs, "linear warmup length in epochs")
	f.Uint64("seed", d.Seed, "seed of initialisation, shuffling and augmentation")
	f.String("device", d.Device, "cpu or cuda:N")
	f.String("dtype", d.Dtype, "float32 or float64")
	f.Bool("tf32", d.TF32, "float32 matrix products on TF32 tensor cores (GPU of compute capability ≥ 8.0)")
	f.Bool("sync-bn", d.SyncBN, "over several ranks (mpirun, srun): BN statistics of the global batch instead of each rank's share")
	f.String("out", d.Out, "run directory (default runs/<timestamp>)")
}

// trainConfig resolves the config: defaults, then the file (or the resumed
// run's saved config), then the flags given.
func trainConfig(f *pflag.FlagSet, configPath, resume string) (train.Config, error) {
	cfg := train.Default()
	var err error
	switch {
	case resume != "" && configPath != "":
		return cfg, errors.New("--resume continues a run with its saved config: give --config or --resume, not both")
	case resume != "" && f.Changed("out"):
		return cfg, errors.New("--resume writes into the resumed run's directory: drop --out")
	case resume != "":
		cfg, err = train.ResumeConfig(resume)
	case configPath != "":
		cfg, err = train.LoadConfig(configPath)
	}
	if err != nil {
		return cfg, err
	}
	for _, tf := range trainFlags {
		if fl := f.Lookup(tf.flag); fl.Changed {
			if err := cfg.Set(tf.key, fl.Value.String()); err != nil {
				return cfg, fmt.Errorf("--%s: %w", tf.flag, err)
			}
		}
	}
	if f.Changed("momentum") && cfg.Optimizer.Kind != train.OptSGD {
		return cfg, fmt.Errorf("--momentum is for optimizer sgd; %s has beta1 and beta2 (optimizer.beta1, optimizer.beta2 in a config)", cfg.Optimizer.Kind)
	}
	return cfg, nil
}

// runTraining resolves and checks the config, the dataset's location and
// the device, then takes the run directory (rank 0 of an MPI job only;
// nothing refused leaves one behind), loads the data, trains until done or
// interrupted (SIGINT/SIGTERM), and says where the outputs went. Over
// several ranks, the ranks agree after each step that one of them can fail
// alone (opening the device, taking the directory, loading the data), and
// an error that one rank meets alone later ends the whole job (leaveJob).
func runTraining(ctx context.Context, cmd *cobra.Command, configPath, resume string) (err error) {
	cfg, err := trainConfig(cmd.Flags(), configPath, resume)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if resume != "" {
		if err := train.CheckResume(resume, cfg); err != nil {
			return err
		}
	}
	comm, err := dist.Open()
	if err != nil {
		return err
	}
	var dir *train.Dir
	defer func() { err = leaveJob(comm, dir, err) }()
	// What the number of ranks decides is checked with the config, before
	// the data is looked at.
	if _, _, err := dist.Shard(cfg.BatchSize, comm.Rank(), comm.Size()); err != nil {
		return dist.Shared(fmt.Errorf("batch_size %d over %d ranks: %w (each rank trains on an equal share of it)", cfg.BatchSize, comm.Size(), dist.ErrIndivisible))
	}
	if cfg.SyncBN && comm.Size() == 1 {
		return dist.Shared(errors.New("sync_bn synchronises BN over several ranks (mpirun, srun); one process's batch is already the global batch: drop it"))
	}
	folders, err := findData(ctx, cfg)
	if err := dist.Agree(comm, err); err != nil {
		return whileInterrupted(ctx, "finding data", err)
	}
	dev, err := openDevice(dist.LocalDevice(cfg.Device), cfg.TF32)
	if err == nil {
		defer dev.Close()
	}
	if err := dist.Agree(comm, err); err != nil {
		return err
	}
	if comm.Rank() == 0 {
		if resume != "" {
			dir, err = train.OpenDir(resume)
		} else {
			dir, err = train.CreateDir(cfg.Out)
		}
		if err == nil {
			cfg.Out = dir.Path
		}
	}
	if err := dist.Agree(comm, err); err != nil {
		if dir != nil {
			dir.LogFailure(err)
		}
		return err
	}
	var data train.DataSource
	if folders != nil {
		data = folders
	} else {
		logrus.Infof("loading dataset %s", cfg.Data.Dataset)
		data, err = train.LoadDatasets(ctx, cfg.Data, logrus.StandardLogger())
		if err == nil && ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		if err != nil {
			err = whileInterrupted(ctx, "loading data", err)
		}
		if err := dist.Agree(comm, err); err != nil {
			if dir != nil {
				dir.LogFailure(err)
			}
			return err
		}
	}
	res, err := train.Run(ctx, cfg, train.Options{
		Device: dev, Data: data, Resume: resume != "", Dir: dir, Comm: comm,
		Terminal: comm.Rank() == 0 && term.IsTerminal(int(os.Stderr.Fd())),
	})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if res.Interrupted {
		if comm.Rank() == 0 {
			fmt.Fprintf(out, "interrupted: checkpoint saved in %s; continue with: collegium train --resume %s\n", res.Dir, res.Dir)
		}
		if ie := interruption(ctx); ie != nil {
			return dist.Shared(fmt.Errorf("training stopped after a whole step with a checkpoint: %w", ie))
		}
		return dist.Shared(errors.New("training stopped after a whole step with a checkpoint: another rank was interrupted"))
	}
	if comm.Rank() != 0 {
		return nil
	}
	if n := len(res.History); n > 0 {
		m := res.History[n-1]
		top5 := ""
		if m.TestTop5 != nil {
			top5 = fmt.Sprintf(" (top-5 %.2f%%)", 100**m.TestTop5)
		}
		fmt.Fprintf(out, "done: %d epochs, test accuracy %.2f%%%s, test loss %.4f, %.1f s\n", m.Epoch, 100*m.TestAcc, top5, m.TestLoss, m.WallS)
	}
	fmt.Fprintf(out, "outputs in %s: config.yaml, metrics.jsonl, metrics.csv, curves.png, curves.svg, train.log, checkpoint.json + safetensors\n", res.Dir)
	return nil
}

// leaveJob ends this process's part in its job of ranks after runTraining
// returned err, and returns err. Ranks that finished, or that all met the
// same error (a shared one, or a divergence: every rank sees the same
// averaged loss), leave together (Comm.Close waits for every rank). An
// error this rank met alone would leave the others waiting for ever in
// their next collective, so over several ranks it is printed (and logged
// in train.log by rank 0, which Run already did for the errors of a run)
// and the whole job is ended by MPI_Abort with the command's exit status.
// The run directory is closed (its lock released) first, either way.
func leaveJob(comm dist.Comm, dir *train.Dir, err error) error {
	if dir != nil {
		dir.Close()
	}
	if err == nil || comm.Size() == 1 || dist.IsShared(err) || errors.Is(err, train.ErrNonFinite) {
		return errors.Join(err, comm.Close())
	}
	fmt.Fprintf(os.Stderr, "collegium: rank %d of %d: %v\ncollegium: ending every rank of the job (MPI_Abort)\n", comm.Rank(), comm.Size(), err)
	comm.Abort(exitCode(err))
	return err
}

// findData checks the data before the run directory is taken. A dataset
// held in memory is found but not read (LoadDatasets reads it later); an
// ImageNet tree is indexed and checked whole, with the model against it,
// and returned.
func findData(ctx context.Context, cfg train.Config) (*train.ImageFolders, error) {
	d := cfg.Data
	if train.IsImageNet(d.Dataset) {
		logrus.Infof("checking the %s tree", datasets.ImageNet)
		folders, err := train.OpenImageFolders(ctx, d)
		if err != nil {
			return nil, err
		}
		logrus.WithFields(logrus.Fields{"dir": filepath.Dir(folders.Train.Dir), "classes": len(folders.Train.Classes),
			"train_images": folders.Train.Len(), "val_images": folders.Val.Len()}).Info("tree checked")
		return folders, train.CheckData(cfg, folders)
	}
	spec, err := datasets.Lookup(d.Dataset)
	if err != nil {
		return nil, fmt.Errorf("%w, or %s (a folder tree)", err, datasets.ImageNet)
	}
	_, err = datasets.NewResolver(d.Dir, logrus.StandardLogger()).Find(ctx, spec)
	return nil, err
}

// openDevice opens the device called name, with TF32 when asked.
func openDevice(name string, tf32 bool) (device.Device, error) {
	dev, err := registry.Open(name)
	if err != nil {
		return nil, err
	}
	if tf32 {
		if err := device.EnableTF32(dev); err != nil {
			dev.Close()
			return nil, fmt.Errorf("tf32: %w", err)
		}
	}
	return dev, nil
}
