package datasets

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// writePNG writes a w×h image whose pixel (x, y) is (x, y, 128).
func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestLoadImageDir: images in subdirectories are found, resized so the
// shorter side is size·256/224 and centre-cropped (a horizontal gradient
// keeps its centre value), normalised with the ImageNet statistics, and
// the choice of images is seeded.
func TestLoadImageDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "n01"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a.png", "n01/b.png", "n01/c.PNG"} {
		writePNG(t, filepath.Join(dir, name), 200+8*i, 100)
	}
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not an image"))
	ds, err := LoadImageDir(dir, 16, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 2 || ds.Channels != 3 || ds.Height != 16 || ds.Width != 16 || len(ds.Images) != 2*3*16*16 {
		t.Fatalf("dataset %d images of %d×%d×%d, %d values", ds.Len(), ds.Channels, ds.Height, ds.Width, len(ds.Images))
	}
	// Blue is 128 everywhere: (128/255 − mean)/std exactly.
	wantB := (128.0/255 - float64(ImageNetMean[2])) / float64(ImageNetStd[2])
	if got := float64(ds.Images[2*16*16+5]); math.Abs(got-wantB) > 1e-5 {
		t.Errorf("blue %g, want %g", got, wantB)
	}
	// Red is x: the crop's centre column sits near the image's centre.
	red := float64(ds.Images[8*16+8])*float64(ImageNetStd[0]) + float64(ImageNetMean[0])
	if red < 0.3 || red > 0.5 {
		t.Errorf("red at the crop centre %g, want about the middle of a 200-wide gradient (0.39)", red)
	}
	again, _ := LoadImageDir(dir, 16, 2, 1)
	other, _ := LoadImageDir(dir, 16, 3, 1)
	if again.Images[100] != ds.Images[100] || other.Len() != 3 {
		t.Errorf("seeded choice not reproducible or limit ignored: %d images", other.Len())
	}
	if _, err := LoadImageDir(t.TempDir(), 16, 2, 1); err == nil {
		t.Error("empty directory accepted")
	}
	writeFile(t, filepath.Join(dir, "broken.jpg"), []byte("not a jpeg"))
	if _, err := LoadImageDir(dir, 16, 10, 1); err == nil {
		t.Error("undecodable image accepted")
	}
}
