package datasets

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/collegium/collegium/internal/imagetree"
)

// writeTree writes a 3-class tree with 2 training and 1 validation image
// per class and returns its directory.
func writeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := imagetree.Write(dir, imagetree.Tree{Classes: 3, Train: 2, Val: 1, Side: 12}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReadImageNetRefusesBadTrees: each way a tree can be wrong is an
// error naming it, and a good tree (with symbolic links, as subsets of
// ImageNet are often made) reads.
func TestReadImageNetRefusesBadTrees(t *testing.T) {
	c0, c1 := imagetree.ClassName(0), imagetree.ClassName(1)
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  string
	}{
		{"no val", func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(dir, "val")) }, "no val directory"},
		{"no tree", func(t *testing.T, dir string) { os.RemoveAll(dir) }, "no such file or directory (want "},
		{"train is a file", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "train"))
			writeFile(t, filepath.Join(dir, "train"), []byte("x"))
		}, "no train directory"},
		{"empty class", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "train", "n99"), 0o755)
			os.MkdirAll(filepath.Join(dir, "val", "n99"), 0o755)
		}, "class n99 holds no JPEG images"},
		{"text file in a class", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "train", c1, "notes.txt"), []byte("x"))
		},
			filepath.Join(c1, "notes.txt") + " is not a JPEG image"},
		{"PNG name in a class", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "val", c0, "a.png"), []byte("x")) },
			filepath.Join(c0, "a.png") + " is not a JPEG image"},
		{"directory in a class", func(t *testing.T, dir string) { os.MkdirAll(filepath.Join(dir, "val", c0, "more"), 0o755) },
			filepath.Join(c0, "more") + " is not a JPEG image"},
		{"file beside the classes", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "train", "labels.txt"), []byte("x")) },
			"labels.txt is a file among the class directories"},
		{"flat val", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, "val"))
			writeFile(t, filepath.Join(dir, "val", "ILSVRC2012_val_00000001.JPEG"), []byte("x"))
		}, "1 files but no class directories"},
		{"text named .JPEG", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "val", c1, "z.JPEG"), []byte("not an image"))
		},
			filepath.Join("val", c1, "z.JPEG") + " is not a JPEG image: it starts with 6e 6f 74"},
		{"empty .JPEG", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "train", c0, "e.JPEG"), []byte("")) },
			"e.JPEG is not a JPEG image: it starts with , a JPEG"},
		{"other classes in val", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "val", c1), filepath.Join(dir, "val", "n5"))
		}, `class directories differ: `},
		{"a class missing from val", func(t *testing.T, dir string) { os.RemoveAll(filepath.Join(dir, "val", c1)) },
			"val has 2 (first difference at class 1: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeTree(t)
			c.spoil(t, dir)
			_, _, err := ReadImageNet(context.Background(), dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}

	dir := writeTree(t)
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.MkdirAll(filepath.Join(link, "train"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "val"), filepath.Join(link, "val")); err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		name := imagetree.ClassName(c)
		if err := os.Symlink(filepath.Join(dir, "train", name), filepath.Join(link, "train", name)); err != nil {
			t.Fatal(err)
		}
	}
	train, val, err := ReadImageNet(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 6 || val.Len() != 3 || len(train.Classes) != 3 || train.Labels[5] != 2 {
		t.Errorf("linked tree: %d training images, %d validation images, classes %v, labels %v", train.Len(), val.Len(), train.Classes, train.Labels)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ReadImageNet(ctx, dir); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled check: %v", err)
	}
}

// TestImageLoaderReadsPNGNamedJPEG: a PNG under a .JPEG name (ImageNet's
// training set has one) passes the check and decodes to its pixels.
func TestImageLoaderReadsPNGNamedJPEG(t *testing.T) {
	dir := writeTree(t)
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = 255 // white
	}
	path := filepath.Join(dir, "val", imagetree.ClassName(0), "png.JPEG")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, val, err := ReadImageNet(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for val.Files[i] != path {
		i++
	}
	l := newImageLoader(t, val, ImageLoaderConfig{BatchSize: 1, Size: 4})
	if err := l.Seek(LoaderState{Seed: 0, BatchSize: 1, Batch: i}); err != nil {
		t.Fatal(err)
	}
	b := takeImages(t, l, 1)[0]
	for c := range 3 {
		if got, want := b.images[c*16], (1-ImageNetMean[c])/ImageNetStd[c]; got != want {
			t.Errorf("channel %d of the white PNG: %v, want %v", c, got, want)
		}
	}
}

// TestImageLoaderFlip: with Flip off no training crop of a red-left,
// blue-right image shows blue left of red; with Flip on some do.
func TestImageLoaderFlip(t *testing.T) {
	dir := t.TempDir()
	img := redBlue(40, 30)
	for i := range 8 {
		writeJPEG(t, filepath.Join(dir, "a", "x"+string(rune('0'+i))+".JPEG"), img)
	}
	f, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	const size = 8
	for _, flip := range []bool{false, true} {
		l := newImageLoader(t, f, ImageLoaderConfig{BatchSize: 8, Size: size, Train: true, Augment: ImageAugment{Flip: flip}})
		mirrored := 0
		for _, b := range takeImages(t, l, 8) {
			for k := range 8 {
				im := b.images[k*3*size*size:]
				left, right := im[size*size/2], im[size*size/2+size-1] // red channel, middle row
				if left < right-1 {
					mirrored++
				}
			}
		}
		if flip != (mirrored > 0) {
			t.Errorf("flip %v: %d of 64 crops show blue left of red", flip, mirrored)
		}
	}
}
