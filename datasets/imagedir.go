package datasets

import (
	"fmt"
	"image"
	_ "image/jpeg" // decoders for LoadImageDir
	_ "image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/draw"
)

// ImageNetMean and ImageNetStd are the per-channel RGB statistics every
// torchvision ImageNet model is trained with.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// LoadImageDir reads up to limit JPEG or PNG images found under dir (in
// any subdirectory, as in an ImageNet validation folder), chosen by a
// permutation seeded with seed, each resized so that its shorter side is
// size·256/224 and centre-cropped to size×size (torchvision's evaluation
// transform at scale size), as 3×size×size RGB normalised with the
// ImageNet statistics. Labels are all 0: the directory's class layout is
// not read.
func LoadImageDir(dir string, size, limit int, seed uint64) (*Dataset, error) {
	if size < 1 || limit < 1 {
		return nil, fmt.Errorf("image directory %s: size %d and limit %d must be ≥ 1", dir, size, limit)
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jpg", ".jpeg", ".png":
			if !d.IsDir() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("image directory %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("image directory %s: no .jpg, .jpeg or .png files", dir)
	}
	sort.Strings(files)
	perm := rand.New(rand.NewPCG(seed, 0x27d4eb2f)).Perm(len(files))
	ds := &Dataset{Name: "images", Split: Test, Dir: dir, Channels: 3, Height: size, Width: size, Classes: 1,
		Mean: ImageNetMean, Std: ImageNetStd}
	for _, i := range perm[:min(limit, len(files))] {
		img, err := decodeImage(files[i])
		if err != nil {
			return nil, fmt.Errorf("image directory %s: %w", dir, err)
		}
		ds.Images = append(ds.Images, centreCrop(img, size, ds.Mean, ds.Std)...)
		ds.Labels = append(ds.Labels, 0)
	}
	return ds, nil
}

func decodeImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// centreCrop resizes img (bilinear) so that its shorter side is
// size·256/224, crops the central size×size and returns it as normalised
// CHW float32 RGB.
func centreCrop(img image.Image, size int, mean, std []float32) []float32 {
	b := img.Bounds()
	short := EvalResize(size)
	w, h := short, short
	if b.Dx() > b.Dy() {
		w = (b.Dx()*short + b.Dy()/2) / b.Dy()
	} else {
		h = (b.Dy()*short + b.Dx()/2) / b.Dx()
	}
	scaled := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(scaled, scaled.Bounds(), img, b, draw.Src, nil)
	x0, y0 := (w-size)/2, (h-size)/2
	out := make([]float32, 3*size*size)
	for y := range size {
		for x := range size {
			p := scaled.RGBAAt(x0+x, y0+y)
			for c, v := range []uint8{p.R, p.G, p.B} {
				out[(c*size+y)*size+x] = (float32(v)/255 - mean[c]) / std[c]
			}
		}
	}
	return out
}
