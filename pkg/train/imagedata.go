package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/models"
)

// defaultImageSize is data.image_size when it is 0: ImageNet's 224.
const defaultImageSize = datasets.ImageNetSize

// IsImageNet reports whether the dataset name is datasets.ImageNet (any
// case): a tree of JPEGs read as the run goes, not a dataset in memory.
func IsImageNet(name string) bool { return strings.EqualFold(name, datasets.ImageNet) }

// imageSize is data.image_size with its default.
func (d Data) imageSize() int {
	if d.ImageSize == 0 {
		return defaultImageSize
	}
	return d.ImageSize
}

// checkImageSettings reports the settings of d its dataset cannot honour:
// data.pad for imagenet, which trains on random-resized crops, and the
// imagenet-only settings for the other datasets, whose images have one
// size and no colour augmentation.
func (d Data) checkImageSettings() error {
	if !IsImageNet(d.Dataset) {
		var set []string
		for _, s := range []struct {
			key string
			on  bool
		}{{"data.image_size", d.ImageSize != 0}, {"data.color_jitter", d.ColorJitter != 0}, {"data.lighting", d.Lighting != 0}} {
			if s.on {
				set = append(set, s.key)
			}
		}
		if len(set) > 0 {
			return fmt.Errorf("%s: for dataset %s only; %s has images of one size and no colour augmentation",
				strings.Join(set, ", "), datasets.ImageNet, d.Dataset)
		}
		return nil
	}
	switch {
	case d.Pad != 0:
		return fmt.Errorf("data.pad %d: imagenet trains on random-resized crops, not padded ones (leave data.pad 0)", d.Pad)
	case d.ImageSize < 0:
		return fmt.Errorf("data.image_size %d: must be ≥ 1 (0 means %d)", d.ImageSize, defaultImageSize)
	case !(d.ColorJitter >= 0 && d.ColorJitter < 1):
		return fmt.Errorf("data.color_jitter %v: must be in [0, 1) (the reference is 0.4)", d.ColorJitter)
	case !(d.Lighting >= 0) || math.IsInf(d.Lighting, 1):
		return fmt.Errorf("data.lighting %v: must be a finite number ≥ 0 (the reference is 0.1)", d.Lighting)
	}
	return nil
}

// ImageFolders is an ImageNet tree (see datasets.ReadImageNet): training
// and validation images decoded from disk by a pool of goroutines as the
// run goes, so that no split is held in memory.
type ImageFolders struct {
	Train, Val *datasets.ImageFolder
	// Workers is the number of decoding goroutines of each loader (0:
	// GOMAXPROCS).
	Workers int
}

// OpenImageFolders finds the tree that d names (d.Dir, else
// $COLLEGIUM_DATA/imagenet), indexes it and checks it whole (see
// datasets.ReadImageNet): every error names what is missing or wrong.
func OpenImageFolders(ctx context.Context, d Data) (*ImageFolders, error) {
	dir := d.Dir
	if dir == "" {
		env := os.Getenv(datasets.EnvDataDir)
		if env == "" {
			return nil, fmt.Errorf("dataset %s: say where its tree is with --data-dir D (D/train/CLASS/*.JPEG, D/val/CLASS/*.JPEG), or set $%s to a directory holding %s/",
				datasets.ImageNet, datasets.EnvDataDir, datasets.ImageNet)
		}
		dir = filepath.Join(env, datasets.ImageNet)
	}
	train, val, err := datasets.ReadImageNet(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", datasets.ImageNet, err)
	}
	return &ImageFolders{Train: train, Val: val}, nil
}

// Shape is 3×S×S for S = data.image_size, and one class per directory.
func (f *ImageFolders) Shape(d Data) (models.Input, int, error) {
	if f == nil || f.Train == nil || f.Val == nil {
		return models.Input{}, 0, errors.New("train: image folders need both splits")
	}
	if err := f.Train.SameClasses(f.Val); err != nil {
		return models.Input{}, 0, err
	}
	s := d.imageSize()
	return models.Input{Channels: 3, Height: s, Width: s}, len(f.Train.Classes), nil
}

// TrainBatches takes random-resized crops with data.flip flips and the
// data.color_jitter and data.lighting colour changes.
func (f *ImageFolders) TrainBatches(ctx context.Context, cfg Config) (BatchSource, error) {
	return f.loader(ctx, f.Train, datasets.ImageLoaderConfig{
		BatchSize: cfg.BatchSize, Size: cfg.Data.imageSize(), Seed: cfg.Seed, Train: true, DropLast: true,
		Augment: datasets.ImageAugment{Flip: cfg.Data.Flip, Jitter: cfg.Data.ColorJitter, Lighting: cfg.Data.Lighting},
	})
}

// EvalBatches resizes each validation image to datasets.EvalResize of
// data.image_size and takes its centre.
func (f *ImageFolders) EvalBatches(ctx context.Context, cfg Config) (BatchSource, error) {
	s := cfg.Data.imageSize()
	return f.loader(ctx, f.Val, datasets.ImageLoaderConfig{BatchSize: cfg.EvalBatchSize, Size: s, Resize: datasets.EvalResize(s), Seed: cfg.Seed})
}

func (f *ImageFolders) loader(ctx context.Context, split *datasets.ImageFolder, c datasets.ImageLoaderConfig) (BatchSource, error) {
	c.Workers = f.Workers
	l, err := datasets.NewImageLoader(ctx, split, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", split.Dir, err)
	}
	return l, nil
}
