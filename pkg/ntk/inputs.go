package ntk

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/datasets"
)

// The input sources of a kernel measurement.
const (
	// RandomSource draws N(0, 1) inputs from a seed.
	RandomSource = "random"
	// MNISTSource takes a seeded subset of the MNIST test images.
	MNISTSource = "mnist"
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

// LoadInputData resolves an input source for networks of family on
// dataset: RandomSource gives nil (random inputs); MNISTSource the MNIST
// test split (an error when it cannot be read or the network is not an
// MLP on MNIST); "" (automatic) MNIST for an MLP on MNIST when the data can
// be read, otherwise nil with a warning, unless dataDir was given: data the
// caller asked for by its place is an error when it cannot be read, never a
// quiet switch to random inputs. dataDir is searched first.
func LoadInputData(ctx context.Context, source, family, dataset, dataDir string) (*datasets.Dataset, error) {
	fits := family == "mlp" && dataset == MNISTSource
	switch source {
	case RandomSource:
		return nil, nil
	case MNISTSource:
		if !fits {
			return nil, fmt.Errorf("ntk: mnist inputs need the mlp family on mnist, not %s on %s", family, dataset)
		}
		ds, err := datasets.Load(ctx, MNISTSource, datasets.Test, dataDir)
		if err != nil {
			return nil, fmt.Errorf("ntk: mnist inputs: %w", err)
		}
		return ds, nil
	case "":
		if !fits {
			return nil, nil
		}
		ds, err := datasets.Load(ctx, MNISTSource, datasets.Test, dataDir)
		if err != nil && dataDir != "" {
			return nil, fmt.Errorf("ntk: mnist inputs from --data-dir %s: %w", dataDir, err)
		}
		if err != nil {
			logrus.Warnf("MNIST not available (%v): NTK inputs are random N(0, 1)", err)
			return nil, nil
		}
		return ds, nil
	}
	return nil, fmt.Errorf("ntk: inputs %q: want mnist or random", source)
}
