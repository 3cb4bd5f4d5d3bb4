package train

import (
	"context"
	"errors"
	"fmt"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/models"
)

// BatchSource is an endless stream of batches, epoch after epoch, whose
// position can be saved (State) and restored (Seek), and which can serve
// one rank's share of every batch (Shard). datasets.Loader (a dataset in
// memory) and datasets.ImageLoader (images decoded from disk) are the two.
type BatchSource interface {
	// Next returns the next batch; it is the caller's until Release.
	Next(ctx context.Context) (*datasets.Batch, error)
	Release(b *datasets.Batch)
	// State is the position of the batch Next returns next.
	State() datasets.LoaderState
	Seek(st datasets.LoaderState) error
	Shard(rank, size int) error
	BatchesPerEpoch() int
	Close()
}

var (
	_ BatchSource = (*datasets.Loader)(nil)
	_ BatchSource = (*datasets.ImageLoader)(nil)
)

// DataSource is what a run trains and evaluates on: Datasets (both splits
// in memory) or ImageFolders (an ImageNet tree, decoded as the run goes).
type DataSource interface {
	// Shape returns the input of one image and the number of classes under
	// the settings d, or why d does not apply to the data.
	Shape(d Data) (models.Input, int, error)
	// TrainBatches starts the training batches of cfg: a global batch of
	// cfg.BatchSize (a last partial batch of an epoch is dropped), an
	// order and augmentation drawn from cfg.Seed.
	TrainBatches(ctx context.Context, cfg Config) (BatchSource, error)
	// EvalBatches starts a pass over the test set in order, in batches of
	// cfg.EvalBatchSize (the last one short), without augmentation.
	EvalBatches(ctx context.Context, cfg Config) (BatchSource, error)
}

// Shape is the training set's input and classes; the test set must have
// the same input, and data.pad fit it.
func (d Datasets) Shape(c Data) (models.Input, int, error) {
	ds, t := d.Train, d.Test
	if ds == nil || t == nil {
		return models.Input{}, 0, errors.New("train: both datasets are needed")
	}
	if t.Channels != ds.Channels || t.Height != ds.Height || t.Width != ds.Width {
		return models.Input{}, 0, fmt.Errorf("test set %s is %d×%d×%d, training set %d×%d×%d", t.Name, t.Channels, t.Height, t.Width, ds.Channels, ds.Height, ds.Width)
	}
	if err := checkPad(c.Pad, ds.Height, ds.Width); err != nil {
		return models.Input{}, 0, err
	}
	return models.Input{Channels: ds.Channels, Height: ds.Height, Width: ds.Width}, ds.Classes, nil
}

// TrainBatches shuffles the training set every epoch, with data.pad crops
// and data.flip flips.
func (d Datasets) TrainBatches(ctx context.Context, cfg Config) (BatchSource, error) {
	aug := datasets.Augment{Pad: cfg.Data.Pad, Flip: cfg.Data.Flip}
	l, err := datasets.NewLoader(ctx, d.Train, cfg.BatchSize, cfg.Seed, aug, true, true)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// EvalBatches serves the test set as it is.
func (d Datasets) EvalBatches(ctx context.Context, cfg Config) (BatchSource, error) {
	l, err := datasets.NewLoader(ctx, d.Test, cfg.EvalBatchSize, cfg.Seed, datasets.Augment{}, false, false)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// CheckData reports whether the model of cfg fits data: its input shape
// and classes are the data's (or left zero, to be filled from it), the
// data honours cfg.Data, and the model spec is valid with them. Run makes
// the same check; CheckData lets a caller make it before taking a run
// directory.
func CheckData(cfg Config, data DataSource) error {
	return fitSpec(&cfg, data)
}
