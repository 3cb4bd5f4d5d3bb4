package ntk

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/models"
)

// The input sources of a kernel measurement.
const (
	// RandomSource draws N(0, 1) inputs from a seed.
	RandomSource = "random"
	// MNISTSource takes a seeded subset of the MNIST test images.
	MNISTSource = "mnist"
	// AutoSource is MNISTSource for a 1×28×28 network when MNIST can be
	// read and RandomSource otherwise (see LoadInputData).
	AutoSource = "auto"
)

// Inputs describes the inputs of a kernel: Count vectors of Size values,
// drawn N(0, 1) from Seed when Data is nil, else a subset of Data's images
// chosen by Seed. Source names Data in the cache key (empty for random
// inputs, so keys of random measurements stay as they were).
type Inputs struct {
	Count  int    `json:"count"`
	Size   int    `json:"size"`
	Seed   uint64 `json:"seed"`
	Source string `json:"source,omitempty"`
	// Data supplies real inputs; it is not part of the key (Source is).
	Data *datasets.Dataset `json:"-"`
}

// Values returns the input vectors in.
func (in Inputs) Values() ([][]float64, error) {
	if in.Data == nil {
		return RandomInputs(in), nil
	}
	return DataInputs(in.Data, in.Count, in.Seed)
}

// RandomInputs draws the inputs in: Count vectors of Size N(0, 1) values.
func RandomInputs(in Inputs) [][]float64 {
	r := rand.New(rand.NewPCG(in.Seed, 0x1b873593))
	out := make([][]float64, in.Count)
	for i := range out {
		out[i] = make([]float64, in.Size)
		for j := range out[i] {
			out[i][j] = r.NormFloat64()
		}
	}
	return out
}

// DataInputs returns count images of ds (normalised as for training),
// chosen without replacement by a permutation seeded with seed.
func DataInputs(ds *datasets.Dataset, count int, seed uint64) ([][]float64, error) {
	if count < 1 || count > ds.Len() {
		return nil, fmt.Errorf("ntk: %d inputs from %s (%d images)", count, ds.Name, ds.Len())
	}
	size := ds.ImageSize()
	perm := rand.New(rand.NewPCG(seed, 0x85ebca6b)).Perm(ds.Len())
	out := make([][]float64, count)
	for i := range out {
		img := ds.Images[perm[i]*size : (perm[i]+1)*size]
		out[i] = make([]float64, size)
		for j, v := range img {
			out[i][j] = float64(v)
		}
	}
	return out, nil
}

// FashionMNISTSource takes a seeded subset of the Fashion-MNIST test
// images.
const FashionMNISTSource = "fashion-mnist"

// LoadInputData resolves the source of a kernel's inputs for a network
// whose example has shape input: RandomSource gives nil (random inputs);
// MNISTSource or FashionMNISTSource the test split of that dataset (1×28×28
// networks only); a directory, the files in it: CIFAR-10 or CIFAR-100
// binary batches (3×32×32 networks) or JPEG/PNG images, resized and
// centre-cropped to the network's square input (LoadImageDir); AutoSource
// MNIST for a 1×28×28 network when the data can be read, otherwise nil
// with a warning on log, unless dataDir was given: data the caller asked
// for by its place is an error when it cannot be read, never a quiet switch
// to random inputs. The caller names the source: "" is refused. dataDir is
// searched first for the named datasets; where they were found goes to log
// (nil: the lines are dropped).
func LoadInputData(ctx context.Context, source string, input models.Input, dataDir string, log logrus.FieldLogger) (*datasets.Dataset, error) {
	log = logs.OrDiscard(log)
	mnistShape := input == models.Input{Channels: 1, Height: 28, Width: 28}
	switch source {
	case RandomSource:
		return nil, nil
	case MNISTSource, FashionMNISTSource:
		if !mnistShape {
			return nil, fmt.Errorf("ntk: %s inputs need a 1×28×28 network, not %d×%d×%d", source, input.Channels, input.Height, input.Width)
		}
		ds, err := datasets.Load(ctx, source, datasets.Test, dataDir, log)
		if err != nil {
			return nil, fmt.Errorf("ntk: %s inputs: %w", source, err)
		}
		return ds, nil
	case AutoSource:
		if !mnistShape {
			return nil, nil
		}
		ds, err := datasets.Load(ctx, MNISTSource, datasets.Test, dataDir, log)
		if err != nil && dataDir != "" {
			return nil, fmt.Errorf("ntk: mnist inputs from --data-dir %s: %w", dataDir, err)
		}
		if err != nil {
			log.Warnf("MNIST not available (%v): NTK inputs are random N(0, 1)", err)
			return nil, nil
		}
		return ds, nil
	case "":
		return nil, fmt.Errorf("ntk: no inputs named: want random, mnist, fashion-mnist, auto or a directory of CIFAR batches or images")
	}
	st, err := os.Stat(source)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("ntk: inputs %q: want random, mnist, fashion-mnist, auto or a directory of CIFAR batches or images", source)
	}
	return loadInputDir(source, input, datasets.Lookup)
}

// loadInputDir reads CIFAR batches or image files from dir for a network
// of shape input; lookup gives the CIFAR specs the files are checked
// against (datasets.Lookup: the official files only).
func loadInputDir(dir string, input models.Input, lookup func(name string) (datasets.Spec, error)) (*datasets.Dataset, error) {
	for _, c := range []struct{ name, file string }{
		{"cifar10", "test_batch.bin"}, {"cifar10", "data_batch_1.bin"}, {"cifar100", "test.bin"}, {"cifar100", "train.bin"},
	} {
		if _, err := os.Stat(filepath.Join(dir, c.file)); err != nil {
			continue
		}
		if input != (models.Input{Channels: 3, Height: 32, Width: 32}) {
			return nil, fmt.Errorf("ntk: %s inputs in %s need a 3×32×32 network, not %d×%d×%d", c.name, dir, input.Channels, input.Height, input.Width)
		}
		spec, err := lookup(c.name)
		if err != nil {
			return nil, err
		}
		split := datasets.Test
		if strings.HasPrefix(c.file, "data_") || strings.HasPrefix(c.file, "train") {
			split = datasets.Train
		}
		ds, err := datasets.LoadDir(spec, dir, split)
		if err != nil {
			return nil, fmt.Errorf("ntk: inputs: %w", err)
		}
		return ds, nil
	}
	if input.Channels != 3 || input.Height != input.Width {
		return nil, fmt.Errorf("ntk: image inputs in %s need a square RGB network, not %d×%d×%d", dir, input.Channels, input.Height, input.Width)
	}
	ds, err := datasets.LoadImageDir(dir, input.Height, 256, 1)
	if err != nil {
		return nil, fmt.Errorf("ntk: inputs: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("ntk: inputs: %w", err)
	}
	ds.Name = "images:" + abs
	return ds, nil
}
