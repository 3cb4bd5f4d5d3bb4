package train

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/datasets"
)

// loop runs the remaining epochs.
func (r *run) loop(ctx context.Context) (*Result, error) {
	start, wallBefore := time.Now(), r.ck.WallS
	wall := func() float64 { return wallBefore + time.Since(start).Seconds() }
	res := &Result{Dir: r.dir}
	r.log.WithFields(logrus.Fields{
		"model": r.cfg.Model.String(), "params": r.train.ParamCount(), "dataset": r.cfg.Data.Dataset,
		"device": r.dev.Name(), "dtype": r.cfg.Dtype, "epochs": r.cfg.Epochs, "from_epoch": r.ck.Epoch,
		"steps_per_epoch": r.perEpoch, "dir": r.dir, "ranks": r.comm.Size(),
	}).Info("training")
	for r.ck.Epoch < r.cfg.Epochs {
		interrupted, err := r.trainEpoch(ctx)
		r.ck.WallS = wall()
		if err != nil {
			return nil, err
		}
		if interrupted {
			if !r.leader() {
				return &Result{Dir: r.dir, Interrupted: true}, nil
			}
			if err := r.saveCheckpoint(); err != nil {
				return nil, err
			}
			r.log.WithFields(logrus.Fields{"epoch": r.ck.Epoch + 1, "step": r.ck.Step, "dir": r.dir}).
				Warn("interrupted: stopped after a whole step and saved a checkpoint; continue with --resume " + r.dir)
			res.History, res.Interrupted = r.ck.History, true
			return res, nil
		}
		if !r.leader() {
			r.ck.Epoch++
			r.ck.EpochLossSum, r.ck.EpochSteps, r.ck.EpochTrainS = 0, 0, 0
			continue
		}
		m, err := r.evaluate()
		if err != nil {
			return nil, err
		}
		m.Epoch, m.Step = r.ck.Epoch+1, r.ck.Step
		m.TrainLoss = r.ck.EpochLossSum / float64(r.ck.EpochSteps)
		m.LR = r.cfg.Schedule.LR(r.cfg.Optimizer.LR, r.ck.Step-1, r.perEpoch, r.cfg.Epochs)
		m.ImagesPerS = float64(r.ck.EpochSteps*r.cfg.BatchSize) / r.ck.EpochTrainS
		m.WallS = wall()
		r.ck.Epoch++
		r.ck.EpochLossSum, r.ck.EpochSteps, r.ck.EpochTrainS, r.ck.WallS = 0, 0, 0, m.WallS
		r.ck.History = append(r.ck.History, m)
		if err := r.record(); err != nil {
			return nil, err
		}
		r.logEpoch(m)
	}
	res.History = r.ck.History
	return res, nil
}

// record writes the checkpoint, the metrics files and the plots.
func (r *run) record() error {
	if err := r.saveCheckpoint(); err != nil {
		return err
	}
	if err := writeMetrics(r.dir, r.ck.History); err != nil {
		return err
	}
	runs := []RunMetrics{{Name: filepath.Base(r.dir), History: r.ck.History}}
	for _, ext := range []string{".png", ".svg"} {
		if err := PlotRuns(filepath.Join(r.dir, plotName+ext), runs); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) logEpoch(m Metrics) {
	f := logrus.Fields{
		"epoch": m.Epoch, "step": m.Step, "train_loss": round(m.TrainLoss, 5), "test_loss": round(m.TestLoss, 5),
		"test_acc": round(m.TestAcc, 5), "lr": m.LR, "images_per_s": round(m.ImagesPerS, 1), "wall_s": round(m.WallS, 2),
	}
	if m.TestTop5 != nil {
		f["test_top5"] = round(*m.TestTop5, 5)
	}
	r.log.WithFields(f).Info("epoch done")
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// trainEpoch runs the steps left in the current epoch. It returns true when
// ctx was cancelled (after a whole step).
func (r *run) trainEpoch(ctx context.Context) (bool, error) {
	p := r.newProgress()
	defer p.finish()
	for r.ck.EpochSteps < r.perEpoch {
		if stop, err := r.agreeToStop(ctx); stop || err != nil {
			return stop, err
		}
		t0 := time.Now()
		b, err := r.loader.Next(context.Background())
		if err != nil {
			return false, fmt.Errorf("training data: %w", err)
		}
		loss, err := r.step(b)
		r.loader.Release(b)
		if err != nil {
			return false, err
		}
		r.ck.EpochTrainS += time.Since(t0).Seconds()
		r.ck.Loader = r.loader.State()
		p.step(r.ck.EpochSteps, r.ck.EpochLossSum/float64(r.ck.EpochSteps), loss)
		if r.opts.OnStep != nil {
			r.opts.OnStep(r.ck.Step)
		}
	}
	return false, nil
}

// step runs one forward/backward pass and optimizer update on batch b.
func (r *run) step(b *datasets.Batch) (float64, error) {
	if err := r.tp.Set(r.train.Input, hostAs(r.train.Dtype, b.Images)); err != nil {
		return 0, err
	}
	if err := r.tp.Set(r.train.Labels, hostAs(r.train.Dtype, b.Targets)); err != nil {
		return 0, err
	}
	if err := r.tp.Run(); err != nil {
		return 0, fmt.Errorf("training step %d: %w", r.ck.Step+1, err)
	}
	loss, err := r.scalar(r.train.Loss)
	if err != nil {
		return 0, err
	}
	if loss, err = r.averageGradients(loss); err != nil {
		return 0, fmt.Errorf("training step %d: %w", r.ck.Step+1, err)
	}
	lr := r.cfg.Schedule.LR(r.cfg.Optimizer.LR, r.ck.Step, r.perEpoch, r.cfg.Epochs)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		last := "none was written"
		if r.lastGood != "" {
			last = "the last good one is " + r.lastGood
		}
		return 0, fmt.Errorf("%w: loss %v at epoch %d step %d (lr %g): the run diverged, try a smaller learning rate; checkpoint: %s",
			ErrNonFinite, loss, r.ck.Epoch+1, r.ck.Step+1, lr, last)
	}
	if err := r.opt.step(lr, r.ck.Step+1); err != nil {
		return 0, err
	}
	r.ck.Step++
	r.ck.EpochSteps++
	r.ck.EpochLossSum += loss
	return loss, nil
}

// scalar reads a one-element kept node.
func (r *run) scalar(n *G.Node) (float64, error) {
	if r.train.Dtype == tensor.Float64 {
		v := make([]float64, 1)
		err := r.tp.Get(n, v)
		return v[0], err
	}
	v := make([]float32, 1)
	err := r.tp.Get(n, v)
	return float64(v[0]), err
}
