package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/registry"
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
				cfg, err := trainConfig(cmd.Flags(), configPath, resume)
				if err != nil {
					return err
				}
				return runTraining(cmd, cfg, resume != "")
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
	f.String("dataset", d.Data.Dataset, "dataset name")
	f.String("data-dir", d.Data.Dir, "directory to look for the dataset first")
	f.Int("train-limit", 0, "train on the first N training images only (0: all)")
	f.Int("test-limit", 0, "evaluate on the first N test images only (0: all)")
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
	return cfg, nil
}

// runTraining opens the device and data, trains until done or interrupted
// (SIGINT/SIGTERM), and says where the outputs went.
func runTraining(cmd *cobra.Command, cfg train.Config, resume bool) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	dev, err := registry.Open(cfg.Device)
	if err != nil {
		return err
	}
	defer dev.Close()
	if cfg.TF32 {
		if err := device.EnableTF32(dev); err != nil {
			return fmt.Errorf("tf32: %w", err)
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	data, err := train.LoadDatasets(ctx, cfg.Data)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	res, err := train.Run(ctx, cfg, train.Options{
		Device: dev, Data: data, Resume: resume,
		Terminal: term.IsTerminal(int(os.Stderr.Fd())),
	})
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if res.Interrupted {
		fmt.Fprintf(out, "interrupted: checkpoint saved in %s; continue with: collegium train --resume %s\n", res.Dir, res.Dir)
		return nil
	}
	if n := len(res.History); n > 0 {
		m := res.History[n-1]
		fmt.Fprintf(out, "done: %d epochs, test accuracy %.2f%%, test loss %.4f, %.1f s\n", m.Epoch, 100*m.TestAcc, m.TestLoss, m.WallS)
	}
	fmt.Fprintf(out, "outputs in %s: config.yaml, metrics.jsonl, metrics.csv, curves.png, curves.svg, train.log, checkpoint.json + safetensors\n", res.Dir)
	return nil
}
