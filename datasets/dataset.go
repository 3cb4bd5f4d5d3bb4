package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dataset is one split of a dataset in memory, ready for training: images
// as float32 N×C×H×W scaled to [0, 1] and normalised per channel as
// (x - Mean[c]) / Std[c], and integer class labels.
type Dataset struct {
	Name                             string
	Split                            Split
	Dir                              string // where the files were read from
	Channels, Height, Width, Classes int
	Mean, Std                        []float32
	Images                           []float32
	Labels                           []int
}

// Len returns the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// ImageSize returns the number of values per image, C·H·W.
func (d *Dataset) ImageSize() int { return d.Channels * d.Height * d.Width }

// FileCheck is the checksum status of one file read from disk.
type FileCheck struct {
	Path string
	MD5  string // of the decompressed content
	Want string // reference MD5, "" when none is known
}

// Status says "ok", "mismatch" or "no reference".
func (c FileCheck) Status() string {
	switch {
	case c.Want == "":
		return "no reference"
	case c.MD5 == c.Want:
		return "ok"
	}
	return "mismatch"
}

// Err returns nil unless the file's MD5 differs from its reference.
func (c FileCheck) Err() error {
	if c.Status() != "mismatch" {
		return nil
	}
	return fmt.Errorf("%s: MD5 of decompressed content is %s, want %s (corrupt file, or not the official one)", c.Path, c.MD5, c.Want)
}

// LoadDir reads one split of a dataset from dir, verifies the files against
// the spec's checksums, and normalises the images.
func LoadDir(spec Spec, dir string, split Split) (*Dataset, error) {
	raw, err := readSplit(spec, dir, split)
	if err != nil {
		return nil, err
	}
	for _, c := range raw.checks {
		if err := c.Err(); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", spec.Name, err)
		}
	}
	return newDataset(spec, dir, split, raw.images, raw.labels), nil
}

// rawSplit is a split as read from disk: bytes per pixel, labels, checksums.
type rawSplit struct {
	images []byte
	labels []int
	checks []FileCheck
}

func readSplit(spec Spec, dir string, split Split) (rawSplit, error) {
	if err := spec.validate(); err != nil {
		return rawSplit{}, err
	}
	files, err := spec.Files(split)
	if err != nil {
		return rawSplit{}, err
	}
	var raw rawSplit
	switch spec.Format {
	case FormatIDX:
		raw, err = readIDXSplit(spec, dir, files)
	case FormatCIFAR10, FormatCIFAR100:
		raw, err = readCIFARSplit(spec, dir, files)
	default:
		err = fmt.Errorf("unknown format %d", spec.Format)
	}
	if err != nil {
		return rawSplit{}, fmt.Errorf("dataset %s %s: %w", spec.Name, split, err)
	}
	return raw, nil
}

func readIDXSplit(spec Spec, dir string, files []File) (rawSplit, error) {
	if len(files) != 2 {
		return rawSplit{}, fmt.Errorf("IDX split needs an images and a labels file, spec lists %d files", len(files))
	}
	var arrays [2]IDXArray
	var raw rawSplit
	for i, f := range files {
		path, err := findIDXFile(dir, f.Name)
		if err != nil {
			return rawSplit{}, err
		}
		if arrays[i], err = ReadIDXFile(path); err != nil {
			return rawSplit{}, err
		}
		raw.checks = append(raw.checks, FileCheck{Path: path, MD5: arrays[i].MD5, Want: f.MD5})
	}
	images, labels := arrays[0], arrays[1]
	imgPath, lblPath := raw.checks[0].Path, raw.checks[1].Path
	if len(images.Dims) != 3 || images.Dims[1] != spec.Height || images.Dims[2] != spec.Width {
		return rawSplit{}, fmt.Errorf("%s: image dimensions %v, want [N %d %d]", imgPath, images.Dims, spec.Height, spec.Width)
	}
	if len(labels.Dims) != 1 {
		return rawSplit{}, fmt.Errorf("%s: label dimensions %v, want [N]", lblPath, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return rawSplit{}, fmt.Errorf("%s holds %d images but %s holds %d labels", imgPath, images.Dims[0], lblPath, labels.Dims[0])
	}
	if images.Dims[0] == 0 {
		return rawSplit{}, fmt.Errorf("%s: no images", imgPath)
	}
	raw.images = images.Data
	raw.labels = make([]int, len(labels.Data))
	for i, l := range labels.Data {
		if int(l) >= spec.Classes {
			return rawSplit{}, fmt.Errorf("%s: label %d of item %d out of range [0, %d)", lblPath, l, i, spec.Classes)
		}
		raw.labels[i] = int(l)
	}
	return raw, nil
}

// findIDXFile returns dir/name, or dir/name.gz when only that exists.
func findIDXFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("stat %s: %w", p, err)
		}
	}
	return "", fmt.Errorf("neither %s nor %s.gz in %s: %w", name, name, dir, os.ErrNotExist)
}

func readCIFARSplit(spec Spec, dir string, files []File) (rawSplit, error) {
	if spec.Channels != 3 || spec.Height != cifarSide || spec.Width != cifarSide {
		return rawSplit{}, fmt.Errorf("CIFAR images are 3×32×32, spec says %d×%d×%d", spec.Channels, spec.Height, spec.Width)
	}
	var raw rawSplit
	for _, f := range files {
		path := filepath.Join(dir, f.Name)
		batch, sum, err := readCIFARFile(path, spec.Format == FormatCIFAR100)
		if err != nil {
			return rawSplit{}, err
		}
		if n := len(batch.Labels); f.Records > 0 && n != f.Records {
			return rawSplit{}, fmt.Errorf("%s holds %d records, the official file %d (truncated, or not the official file)", path, n, f.Records)
		}
		for i, l := range batch.Labels {
			if l >= spec.Classes {
				return rawSplit{}, fmt.Errorf("%s: label %d of record %d out of range [0, %d)", path, l, i, spec.Classes)
			}
		}
		raw.images = append(raw.images, batch.Images...)
		raw.labels = append(raw.labels, batch.Labels...)
		raw.checks = append(raw.checks, FileCheck{Path: path, MD5: sum, Want: f.MD5})
	}
	return raw, nil
}

// newDataset scales bytes to [0, 1] and normalises them per channel through
// a 256-entry table per channel.
func newDataset(spec Spec, dir string, split Split, images []byte, labels []int) *Dataset {
	d := &Dataset{
		Name: spec.Name, Split: split, Dir: dir,
		Channels: spec.Channels, Height: spec.Height, Width: spec.Width, Classes: spec.Classes,
		Mean: spec.Mean, Std: spec.Std,
		Images: make([]float32, len(images)),
		Labels: labels,
	}
	plane := spec.Height * spec.Width
	var lut [256]float32
	for c := range spec.Channels {
		for v := range lut {
			lut[v] = (float32(v)/255 - spec.Mean[c]) / spec.Std[c]
		}
		for off := c * plane; off < len(images); off += spec.Channels * plane {
			src, dst := images[off:off+plane], d.Images[off:off+plane]
			for i, v := range src {
				dst[i] = lut[v]
			}
		}
	}
	return d
}
