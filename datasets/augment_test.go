package datasets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func randomImage(c, h, w int) []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]float32, c*h*w)
	for i := range img {
		img[i] = r.Float32()
	}
	return img
}

func TestFlipTwiceIsIdentity(t *testing.T) {
	for _, w := range []int{1, 4, 5} {
		img := randomImage(3, 6, w)
		got := slices.Clone(img)
		flipHorizontal(got, 3, 6, w)
		if w > 1 && slices.Equal(got, img) {
			t.Fatalf("width %d: one flip changed nothing", w)
		}
		if got[2*6*w+w-1] != img[2*6*w] {
			t.Fatalf("width %d: flip does not mirror rows", w)
		}
		flipHorizontal(got, 3, 6, w)
		if !slices.Equal(got, img) {
			t.Fatalf("width %d: flipping twice is not the identity", w)
		}
	}
}

func TestCropPadZeroIsIdentity(t *testing.T) {
	img := randomImage(3, 5, 7)
	dst := make([]float32, len(img))
	crop(dst, img, 3, 5, 7, 0, 0, 0, []float32{-1, -2, -3})
	if !slices.Equal(dst, img) {
		t.Fatal("crop with pad 0 changed the image")
	}
}

func TestCropShiftsContent(t *testing.T) {
	const c, h, w, pad = 2, 5, 6, 2
	img := randomImage(c, h, w)
	fill := []float32{-1, -2}
	dst := make([]float32, len(img))
	for dy := range 2*pad + 1 {
		for dx := range 2*pad + 1 {
			crop(dst, img, c, h, w, pad, dy, dx, fill)
			for ch := range c {
				for y := range h {
					for x := range w {
						sy, sx := y+dy-pad, x+dx-pad
						want := fill[ch]
						if sy >= 0 && sy < h && sx >= 0 && sx < w {
							want = img[(ch*h+sy)*w+sx]
						}
						if got := dst[(ch*h+y)*w+x]; got != want {
							t.Fatalf("dy %d dx %d: (%d,%d,%d) = %g, want %g", dy, dx, ch, y, x, got, want)
						}
					}
				}
			}
		}
	}
}

func TestCropLargerThanImage(t *testing.T) {
	img := randomImage(1, 2, 2)
	dst := make([]float32, 4)
	crop(dst, img, 1, 2, 2, 5, 0, 0, []float32{7})
	if !slices.Equal(dst, []float32{7, 7, 7, 7}) {
		t.Fatalf("window wholly in the padding: %v", dst)
	}
}
