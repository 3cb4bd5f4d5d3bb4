package study

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/datasets"
)

// Data is a study's dataset: the first Train training images and the first
// Test test images of a named dataset (a reduced budget uses subsets).
type Data struct {
	Name        string
	Train, Test *datasets.Dataset
}

// LoadData loads the named dataset (searching dataDir first) and keeps the
// first train and test images of each split (0: all), logging where it
// found them to log (nil: the lines are dropped).
func LoadData(ctx context.Context, name, dataDir string, train, test int, log logrus.FieldLogger) (Data, error) {
	tr, err := datasets.Load(ctx, name, datasets.Train, dataDir, log)
	if err != nil {
		return Data{}, fmt.Errorf("study: %w", err)
	}
	te, err := datasets.Load(ctx, name, datasets.Test, dataDir, log)
	if err != nil {
		return Data{}, fmt.Errorf("study: %w", err)
	}
	if tr, err = Subset(tr, train); err != nil {
		return Data{}, err
	}
	if te, err = Subset(te, test); err != nil {
		return Data{}, err
	}
	return Data{Name: name, Train: tr, Test: te}, nil
}

// Subset returns the first n images of ds (all when n is 0), sharing its
// storage.
func Subset(ds *datasets.Dataset, n int) (*datasets.Dataset, error) {
	if n == 0 || n == ds.Len() {
		return ds, nil
	}
	if n < 0 || n > ds.Len() {
		return nil, fmt.Errorf("study: %d images of %s %s (%d there)", n, ds.Name, ds.Split, ds.Len())
	}
	sub := *ds
	sub.Images = ds.Images[:n*ds.ImageSize()]
	sub.Labels = ds.Labels[:n]
	return &sub, nil
}
