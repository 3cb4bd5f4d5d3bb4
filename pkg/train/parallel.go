package train

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/dist"
)

// joinRanks takes the run's place in its job of ranks: its share of the
// global batch and, over several ranks, the gradient averager.
func (r *run) joinRanks() error {
	r.comm = r.opts.Comm
	if r.comm == nil {
		r.comm = dist.Single{}
	}
	lo, hi, err := dist.Shard(r.cfg.BatchSize, r.comm.Rank(), r.comm.Size())
	if err != nil {
		return fmt.Errorf("config: batch_size %d over %d ranks: %w", r.cfg.BatchSize, r.comm.Size(), err)
	}
	r.rankBatch = hi - lo
	if r.comm.Size() > 1 {
		r.avg, err = dist.NewAverager(r.comm, r.dev)
	}
	return err
}

// leader reports whether this rank evaluates and writes the run directory.
func (r *run) leader() bool { return r.comm.Rank() == 0 }

// followDir is openDir for ranks other than 0: they write nothing, read the
// checkpoint when resuming, and log warnings and errors only.
func (r *run) followDir() error {
	if r.opts.Resume {
		ck, err := readCheckpoint(r.dir)
		if err != nil {
			return err
		}
		if _, err := resumeOverrides(ck, r.cfg); err != nil {
			return err // as rank 0 does, so that every rank stops
		}
		r.ck = ck
	}
	r.ck.Config = r.cfg
	r.log = logrus.New()
	r.log.SetOutput(r.stderr())
	r.log.SetFormatter(logrus.StandardLogger().Formatter)
	r.log.SetLevel(logrus.WarnLevel)
	return nil
}

// trainDevice is the device the training plan runs on: the run's device,
// wrapped to synchronise batch normalisation over the ranks with SyncBN.
func (r *run) trainDevice() device.Device {
	if r.cfg.SyncBN && r.comm.Size() > 1 {
		s := dist.SyncBN(r.dev, r.comm)
		r.closers = append(r.closers, s.Release)
		return s
	}
	return r.dev
}

// shareData makes the training loader serve this rank's share of every
// global batch.
func (r *run) shareData() error {
	if r.comm.Size() == 1 {
		return nil
	}
	if err := r.loader.Shard(r.comm.Rank(), r.comm.Size()); err != nil {
		return fmt.Errorf("training data: %w", err)
	}
	return nil
}

// agreeToStop reports whether the run stops before its next step: when ctx
// is cancelled on any rank, every rank stops after the same step.
func (r *run) agreeToStop(ctx context.Context) (bool, error) {
	stop := 0.0
	if ctx.Err() != nil {
		stop = 1
	}
	if r.comm.Size() == 1 {
		return stop > 0, nil
	}
	flag := []float64{stop}
	if err := r.comm.AllReduceSum64(flag); err != nil {
		return false, fmt.Errorf("agree to stop: %w", err)
	}
	return flag[0] > 0, nil
}

// averageGradients replaces every gradient by its mean over the ranks and
// returns the mean of the ranks' losses: the gradient and loss of the
// global batch.
func (r *run) averageGradients(loss float64) (float64, error) {
	if r.avg == nil {
		return loss, nil
	}
	grads := make([]device.Buffer, len(r.opt.slots))
	for i, s := range r.opt.slots {
		grads[i] = s.grad
	}
	host := []float64{loss}
	if err := r.avg.Average(grads, host); err != nil {
		return 0, err
	}
	return host[0], nil
}
