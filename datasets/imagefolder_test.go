package datasets

import (
	"context"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/collegium/collegium/internal/imagetree"
)

// writeJPEG writes img as a JPEG of quality 95.
func writeJPEG(t testing.TB, path string, img image.Image) {
	t.Helper()
	if err := imagetree.WriteJPEG(path, img); err != nil {
		t.Fatal(err)
	}
}

// noisyImage is a w×h image of random smooth colours from seed.
func noisyImage(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 9))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	a, b, c := r.Float64()*6, r.Float64()*6, r.Float64()*6
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{
				uint8(127 + 120*math.Sin(a+float64(x)/7)), uint8(127 + 120*math.Cos(b+float64(y)/5)),
				uint8(127 + 120*math.Sin(c+float64(x+y)/9)), 255})
		}
	}
	return img
}

// redBlue is a w×h image, red on its left half and blue on its right.
func redBlue(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// miniImageNet writes a tree DIR/{train,val}/CLASS/*.JPEG of classes
// classes with perClass images each, of varied sizes, and returns DIR.
func miniImageNet(t testing.TB, classes, perClass int) string {
	t.Helper()
	dir := t.TempDir()
	sizes := [][2]int{{48, 36}, {30, 50}, {64, 64}, {40, 30}, {37, 53}}
	for _, split := range []string{"train", "val"} {
		for c := range classes {
			for i := range perClass {
				s := sizes[(c+i)%len(sizes)]
				name := filepath.Join(dir, split, "n0"+string(rune('a'+c)), "img"+string(rune('0'+i))+".JPEG")
				writeJPEG(t, name, noisyImage(s[0], s[1], uint64(100*c+i)))
			}
		}
	}
	return dir
}

func TestReadImageFolder(t *testing.T) {
	dir := miniImageNet(t, 3, 4)
	train, err := ReadImageFolder(filepath.Join(dir, "train"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.Classes, []string{"n0a", "n0b", "n0c"}) || train.Len() != 12 {
		t.Fatalf("classes %v, %d images", train.Classes, train.Len())
	}
	for i, f := range train.Files {
		if want := train.Classes[i/4]; filepath.Base(filepath.Dir(f)) != want || train.Labels[i] != i/4 {
			t.Errorf("image %d: %s label %d", i, f, train.Labels[i])
		}
	}
	val, err := ReadImageFolder(filepath.Join(dir, "val"))
	if err != nil || train.SameClasses(val) != nil {
		t.Fatalf("val: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "val", "n0d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadImageFolder(filepath.Join(dir, "val")); err == nil || !strings.Contains(err.Error(), "class n0d holds no JPEG") {
		t.Errorf("empty class: %v", err)
	}
	writeJPEG(t, filepath.Join(dir, "val", "n0d", "x.jpg"), noisyImage(8, 8, 1))
	val, err = ReadImageFolder(filepath.Join(dir, "val"))
	if err != nil {
		t.Fatal(err)
	}
	if err := train.SameClasses(val); err == nil || !strings.Contains(err.Error(), "3 classes") {
		t.Errorf("train and val with other classes: %v", err)
	}
	if _, err := ReadImageFolder(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no class directories") {
		t.Errorf("empty folder: %v", err)
	}
}

func newImageLoader(t *testing.T, f *ImageFolder, c ImageLoaderConfig) *ImageLoader {
	t.Helper()
	l, err := NewImageLoader(context.Background(), f, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// takeImages reads k batches, copying each one.
func takeImages(t *testing.T, l *ImageLoader, k int) []batchCopy {
	t.Helper()
	var out []batchCopy
	for range k {
		b, err := l.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, batchCopy{slices.Clone(b.Images), slices.Clone(b.Labels), b.Epoch, b.Index})
		l.Release(b)
	}
	return out
}

func sameBatches(t *testing.T, what string, a, b []batchCopy) {
	t.Helper()
	for i := range a {
		if !slices.Equal(a[i].images, b[i].images) || !slices.Equal(a[i].labels, b[i].labels) || a[i].epoch != b[i].epoch || a[i].index != b[i].index {
			t.Fatalf("%s: batch %d differs", what, i)
		}
	}
}

// TestImageLoaderDeterministic: the batches depend on (seed, epoch,
// position) only — not on the number of workers or the prefetch depth —
// and a Seek continues as an uninterrupted loader; shards put together make
// the whole batch.
func TestImageLoaderDeterministic(t *testing.T) {
	f, err := ReadImageFolder(filepath.Join(miniImageNet(t, 3, 5), "train"))
	if err != nil {
		t.Fatal(err)
	}
	c := ImageLoaderConfig{BatchSize: 4, Size: 16, Seed: 5, Train: true, Augment: ReferenceImageAugment, Workers: 1, Prefetch: 1}
	const total = 9 // three epochs of 3 full batches (dropLast) or 4
	want := takeImages(t, newImageLoader(t, f, c), total)
	c.Workers, c.Prefetch = 3, 4
	sameBatches(t, "3 workers vs 1", takeImages(t, newImageLoader(t, f, c), total), want)

	l := newImageLoader(t, f, c)
	got := takeImages(t, l, 3)
	st := l.State()
	takeImages(t, l, 2)
	if err := l.Seek(st); err != nil {
		t.Fatal(err)
	}
	sameBatches(t, "after Seek", append(got, takeImages(t, l, total-3)...), want)

	whole := make([]batchCopy, total)
	for rank := range 2 {
		l := newImageLoader(t, f, c)
		if err := l.Shard(rank, 2); err != nil {
			t.Fatal(err)
		}
		for i, p := range takeImages(t, l, total) {
			whole[i].images = append(whole[i].images, p.images...)
			whole[i].labels = append(whole[i].labels, p.labels...)
			whole[i].epoch, whole[i].index = p.epoch, p.index
		}
	}
	sameBatches(t, "2 shards put together", whole, want)

	c.Seed = 6
	other := takeImages(t, newImageLoader(t, f, c), 1)
	if slices.Equal(other[0].images, want[0].images) {
		t.Error("seeds 5 and 6 give the same first batch")
	}
	if want[0].epoch != 0 || want[4].epoch != 1 || want[4].index != 0 {
		t.Errorf("positions: %d/%d, %d/%d", want[0].epoch, want[0].index, want[4].epoch, want[4].index)
	}
}

// TestImageEvalTransform: a 64×32 image, red on its left half and blue on
// its right, resized to shorter side 32 and centre-cropped to 28 shows red
// on the left half of the crop and blue on the right, normalised by
// ImageNet's statistics.
func TestImageEvalTransform(t *testing.T) {
	dir := t.TempDir()
	writeJPEG(t, filepath.Join(dir, "a", "x.JPEG"), redBlue(64, 32))
	f, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := newImageLoader(t, f, ImageLoaderConfig{BatchSize: 1, Size: 28, Resize: 32})
	b := takeImages(t, l, 1)[0]
	plane := 28 * 28
	red := func(v float32) float64 { return float64(v*ImageNetStd[0] + ImageNetMean[0]) }
	blue := func(v float32) float64 { return float64(v*ImageNetStd[2] + ImageNetMean[2]) }
	for y := range 28 {
		for _, x := range []int{0, 10, 17, 27} {
			r, bl := red(b.images[y*28+x]), blue(b.images[2*plane+y*28+x])
			wantRed := x < 14
			if (r > 0.9) != wantRed || (bl > 0.9) == wantRed || r > 1.001 || bl < -0.001 {
				t.Fatalf("pixel (%d, %d): red %.3f blue %.3f, want %s", x, y, r, bl, map[bool]string{true: "red", false: "blue"}[wantRed])
			}
		}
	}
}

// TestResize: resampling a whole image to its own size reproduces it, and
// shrinking a constant image keeps the constant.
func TestResize(t *testing.T) {
	const w, h = 9, 7
	rgb := make([]byte, 3*w*h)
	for i := range rgb {
		rgb[i] = byte(i * 37)
	}
	var s imageScratch
	out := make([]float32, 3*w*h)
	dst := make([]float32, 3*7*7)
	resizeCrop(dst, rgb, w, h, cropRect{1, 0, 7, 7}, 7, &s)
	for c := range 3 {
		for y := range 7 {
			for x := range 7 {
				if got, want := dst[c*49+y*7+x], float32(rgb[3*(y*w+x+1)+c])/255; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("identity resample: channel %d (%d, %d) = %v, want %v", c, x, y, got, want)
				}
			}
		}
	}
	for i := range rgb {
		rgb[i] = 200
	}
	out = out[:3*3*3]
	resizeCrop(out, rgb, w, h, cropRect{0.5, 0.25, 8, 6.5}, 3, &s)
	for i, v := range out {
		if math.Abs(float64(v)-200.0/255) > 1e-6 {
			t.Fatalf("constant image shrunk: value %d is %v", i, v)
		}
	}
}

// TestRandomResizedCrop checks the crops' area and aspect-ratio ranges and
// that they stay inside the image.
func TestRandomResizedCrop(t *testing.T) {
	src := rand.NewPCG(1, 2)
	for i := range 2000 {
		w, h := 50+i%200, 40+i%170
		r := randomResizedCrop(src, w, h)
		area := r.w * r.h / float64(w*h)
		ratio := r.w / r.h
		if r.x < 0 || r.y < 0 || r.x+r.w > float64(w) || r.y+r.h > float64(h) || area > 1 || area < 0.07 || ratio < 0.7 || ratio > 1.4 {
			t.Fatalf("crop %+v of %d×%d: area %.3f ratio %.3f", r, w, h, area, ratio)
		}
	}
	// A very wide image falls back to the widest centred crop of ratio 4/3.
	if r := randomResizedCrop(rand.NewPCG(3, 4), 1000, 10); r.w > 14 || r.h != 10 {
		t.Errorf("crop of a 1000×10 image: %+v", r)
	}
}

func TestImageLoaderErrors(t *testing.T) {
	dir := miniImageNet(t, 2, 2)
	f, err := ReadImageFolder(filepath.Join(dir, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		c    ImageLoaderConfig
		want string
	}{
		{ImageLoaderConfig{BatchSize: 0, Size: 8}, "batch size 0"},
		{ImageLoaderConfig{BatchSize: 2, Size: 8, Resize: 4}, "resize 4"},
		{ImageLoaderConfig{BatchSize: 2, Size: 8, Augment: ImageAugment{Jitter: 1}}, "jitter"},
		{ImageLoaderConfig{BatchSize: 5, Size: 8, DropLast: true}, "no full batch"},
	} {
		if _, err := NewImageLoader(context.Background(), f, c.c); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.c, err, c.want)
		}
	}
	if err := os.WriteFile(f.Files[1], []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := newImageLoader(t, f, ImageLoaderConfig{BatchSize: 2, Size: 8})
	if _, err := l.Next(context.Background()); err == nil || !strings.Contains(err.Error(), f.Files[1]) {
		t.Errorf("corrupt JPEG: %v", err)
	}
}
