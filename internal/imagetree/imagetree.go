// Package imagetree writes miniature datasets in ImageNet's folder layout
// (DIR/train/CLASS/*.JPEG, DIR/val/CLASS/*.JPEG) for tests: small JPEGs
// whose colours depend on their class, so that a model can learn them,
// with smooth noise and varied sizes, so that no two images are alike.
package imagetree

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Tree describes a miniature tree.
type Tree struct {
	Classes int
	// Train and Val are the images per class in each split.
	Train, Val int
	// Side is the shorter side of the images; the longer one varies up to
	// twice as long.
	Side int
}

// ClassName is the directory of class c, spelt as ImageNet's WordNet ids.
func ClassName(c int) string { return fmt.Sprintf("n%08d", c) }

// Write writes the tree under dir and returns the paths of its images,
// train first, by class.
func Write(dir string, t Tree) ([]string, error) {
	var paths []string
	for _, split := range []struct {
		name string
		per  int
	}{{"train", t.Train}, {"val", t.Val}} {
		for c := range t.Classes {
			for i := range split.per {
				seed := uint64(1000*c + i)
				if split.name == "val" {
					seed += 500
				}
				long := t.Side + int(seed*7919%uint64(t.Side+1))
				w, h := long, t.Side
				if i%2 == 1 {
					w, h = h, w
				}
				p := filepath.Join(dir, split.name, ClassName(c), fmt.Sprintf("%s_%d.JPEG", ClassName(c), i))
				if err := WriteJPEG(p, ClassImage(w, h, c, t.Classes, seed)); err != nil {
					return nil, err
				}
				paths = append(paths, p)
			}
		}
	}
	return paths, nil
}

// ClassImage is a w×h image whose mean colour is class c's of classes
// (hues spread around the colour wheel) with smooth noise from seed.
func ClassImage(w, h, c, classes int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 9))
	hue := 2 * math.Pi * float64(c) / float64(classes)
	a, b := r.Float64()*6, r.Float64()*6
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			noise := 30 * math.Sin(a+float64(x)/3) * math.Cos(b+float64(y)/4)
			ch := func(shift float64) uint8 {
				return uint8(math.Max(0, math.Min(255, 127+90*math.Cos(hue+shift)+noise)))
			}
			img.Set(x, y, color.RGBA{ch(0), ch(2 * math.Pi / 3), ch(4 * math.Pi / 3), 255})
		}
	}
	return img
}

// WriteJPEG writes img to path as a JPEG of quality 95, making its
// directory.
func WriteJPEG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 95}); err != nil {
		f.Close()
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return f.Close()
}
