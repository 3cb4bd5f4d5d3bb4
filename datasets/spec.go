package datasets

import (
	"fmt"
	"strings"
)

// Format says how a dataset's files are encoded.
type Format int

// The file formats this package reads.
const (
	FormatIDX      Format = iota // MNIST-style IDX, raw or gzip
	FormatCIFAR10                // CIFAR-10 binary batches
	FormatCIFAR100               // CIFAR-100 binary files
)

// Split names one part of a dataset.
type Split string

// The splits every dataset has.
const (
	Train Split = "train"
	Test  Split = "test"
)

// DefaultDataset is the dataset used when none is named: it needs no manual
// download (see Resolver).
const DefaultDataset = "mnist"

// File is one file of a dataset: its name on disk (an IDX file may also
// carry a .gz suffix), the hex MD5 of its decompressed content ("" when no
// reference is known), and for CIFAR files the number of records it holds
// (0: not checked; an IDX file's header says its count and its MD5 covers
// the header).
type File struct {
	Name    string
	MD5     string
	Records int
}

// Spec describes a dataset: its shape, normalisation constants, files and
// where to fetch them. Lookup returns a fresh copy that callers may change
// (a test points BaseURL and checksums at its own server and files).
type Spec struct {
	Name                             string
	Format                           Format
	Channels, Height, Width, Classes int
	// Mean and Std are the per-channel statistics of the training images
	// scaled to [0, 1]; images are normalised as (x - Mean) / Std.
	Mean, Std []float32
	// Train and Test list the files of each split: for IDX the images file
	// then the labels file, for CIFAR the batch files in order.
	Train, Test []File
	// BaseURL is where Fetch downloads from: IDX files as BaseURL+Name+".gz",
	// CIFAR as BaseURL+Archive.Name.
	BaseURL string
	// Archive is the official CIFAR tarball (its MD5 covers the compressed
	// file) holding the Train and Test files; zero for IDX datasets.
	Archive File
}

// Files returns the files of one split.
func (s Spec) Files(split Split) ([]File, error) {
	switch split {
	case Train:
		return s.Train, nil
	case Test:
		return s.Test, nil
	}
	return nil, fmt.Errorf("dataset %s: unknown split %q (want %q or %q)", s.Name, split, Train, Test)
}

// validate checks what reading and normalising rely on.
func (s Spec) validate() error {
	if s.Channels < 1 || s.Height < 1 || s.Width < 1 || s.Classes < 1 || s.Classes > 256 {
		return fmt.Errorf("dataset %s: bad spec: shape %d×%d×%d, %d classes", s.Name, s.Channels, s.Height, s.Width, s.Classes)
	}
	if len(s.Mean) != s.Channels || len(s.Std) != s.Channels {
		return fmt.Errorf("dataset %s: bad spec: %d channels but %d means and %d stds", s.Name, s.Channels, len(s.Mean), len(s.Std))
	}
	for c, sd := range s.Std {
		if !(sd > 0) {
			return fmt.Errorf("dataset %s: bad spec: std %g of channel %d", s.Name, sd, c)
		}
	}
	return nil
}

// Names lists the datasets Lookup knows, the default first.
func Names() []string {
	specs := knownSpecs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
}

// Lookup returns the spec of a dataset by name (case-insensitive).
func Lookup(name string) (Spec, error) {
	for _, s := range knownSpecs() {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("unknown dataset %q (known: %s)", name, strings.Join(Names(), ", "))
}

// knownSpecs builds the table afresh on each call so that callers can change
// the specs they get. The IDX MD5s cover the decompressed official files.
// For CIFAR, Archive.MD5 is the MD5 the dataset's page publishes for the
// tarball (checked by Fetch); the MD5 of each binary file inside it is not
// published there: these are the ones two independent projects compute from
// the official tarballs and check after extracting them (rai-project/
// dldataset, vision/cifar10.go and cifar100.go; prabhuomkar/pytorch-cpp,
// cmake/fetch_cifar10.cmake, for CIFAR-10, in agreement). The record counts
// are the page's: 10,000 images per CIFAR-10 batch, 50,000 and 10,000 in
// CIFAR-100's train and test files.
func knownSpecs() []Spec {
	return []Spec{
		{
			Name: "mnist", Format: FormatIDX, Channels: 1, Height: 28, Width: 28, Classes: 10,
			Mean: []float32{0.1307}, Std: []float32{0.3081},
			Train: []File{
				{Name: "train-images-idx3-ubyte", MD5: "6bbc9ace898e44ae57da46a324031adb"},
				{Name: "train-labels-idx1-ubyte", MD5: "a25bea736e30d166cdddb491f175f624"},
			},
			Test: []File{
				{Name: "t10k-images-idx3-ubyte", MD5: "2646ac647ad5339dbf082846283269ea"},
				{Name: "t10k-labels-idx1-ubyte", MD5: "27ae3e4e09519cfbb04c329615203637"},
			},
			BaseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/",
		},
		{
			Name: "fashion-mnist", Format: FormatIDX, Channels: 1, Height: 28, Width: 28, Classes: 10,
			Mean: []float32{0.2860}, Std: []float32{0.3530},
			Train: []File{
				{Name: "train-images-idx3-ubyte", MD5: "f4a8712d7a061bf5bd6d2ca38dc4d50a"},
				{Name: "train-labels-idx1-ubyte", MD5: "9018921c3c673c538a1fc5bad174d6f9"},
			},
			Test: []File{
				{Name: "t10k-images-idx3-ubyte", MD5: "8181f5470baa50b63fa0f6fddb340f0a"},
				{Name: "t10k-labels-idx1-ubyte", MD5: "15d484375f8d13e6eb1aabb0c3f46965"},
			},
			BaseURL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		},
		{
			Name: "cifar10", Format: FormatCIFAR10, Channels: 3, Height: 32, Width: 32, Classes: 10,
			Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2470, 0.2435, 0.2616},
			Train: []File{
				{"data_batch_1.bin", "5dd7e06a14cb22eb9f671a540d1b7c25", 10000},
				{"data_batch_2.bin", "5ea93a67294ea407fff1d09f752e9692", 10000},
				{"data_batch_3.bin", "942cd6a4bcdd0dd3c604fbe906cb4421", 10000},
				{"data_batch_4.bin", "ae636b3ba5c66a11e91e8cb52e771fcb", 10000},
				{"data_batch_5.bin", "53f37980c15c3d472c316c40844f3f0d", 10000},
			},
			Test:    []File{{"test_batch.bin", "803d5f7f4d78ea53de84dbe85f74fb6d", 10000}},
			BaseURL: "https://www.cs.toronto.edu/~kriz/",
			Archive: File{Name: "cifar-10-binary.tar.gz", MD5: "c32a1d4ab5d03f1284b67883e8d87530"},
		},
		{
			Name: "cifar100", Format: FormatCIFAR100, Channels: 3, Height: 32, Width: 32, Classes: 100,
			Mean: []float32{0.5071, 0.4865, 0.4409}, Std: []float32{0.2673, 0.2564, 0.2762},
			Train:   []File{{"train.bin", "6172c7755cfe09b2fe270c85cebc1b15", 50000}},
			Test:    []File{{"test.bin", "4499cfba6c016c1be1438163640a0898", 10000}},
			BaseURL: "https://www.cs.toronto.edu/~kriz/",
			Archive: File{Name: "cifar-100-binary.tar.gz", MD5: "03b5dce01913d631647c71ecec9e9cb8"},
		},
	}
}

// ImageNet's example geometry: the side of the square images a network
// sees (torchvision's evaluation crop) and the number of classes.
const (
	ImageNetSize    = 224
	ImageNetClasses = 1000
)

// Geometry is what a model needs of a dataset: the shape of one example
// and the number of classes.
type Geometry struct {
	Channels, Height, Width, Classes int
}

// GeometryOf returns the geometry of a dataset by name: a spec's for the
// datasets Lookup knows, and ImageNetSize×ImageNetSize RGB images of
// ImageNetClasses classes for ImageNet.
func GeometryOf(name string) (Geometry, error) {
	if strings.EqualFold(name, ImageNet) {
		return Geometry{Channels: 3, Height: ImageNetSize, Width: ImageNetSize, Classes: ImageNetClasses}, nil
	}
	s, err := Lookup(name)
	if err != nil {
		return Geometry{}, err
	}
	return Geometry{Channels: s.Channels, Height: s.Height, Width: s.Width, Classes: s.Classes}, nil
}
