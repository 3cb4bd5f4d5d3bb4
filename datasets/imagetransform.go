package datasets

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// The AlexNet PCA lighting noise of fb.resnet.torch (the ResNeXt reference
// training): eigenvalues and eigenvectors (rows) of ImageNet's RGB
// covariance.
var (
	lightingEigval = [3]float64{0.2175, 0.0188, 0.0045}
	lightingEigvec = [3][3]float64{
		{-0.5675, 0.7192, 0.4009},
		{-0.5808, -0.0045, -0.8140},
		{-0.5836, -0.6948, 0.4203},
	}
)

// ImageAugment configures the training transform of an image loader; the
// zero value is no augmentation beyond the random-resized crop.
type ImageAugment struct {
	// Flip mirrors half the images left-right.
	Flip bool
	// Jitter > 0 scales brightness, contrast and saturation, in random
	// order, each by a factor drawn from [1 − Jitter, 1 + Jitter]
	// (fb.resnet.torch's ColorJitter; its ImageNet setting is 0.4).
	Jitter float64
	// Lighting > 0 adds AlexNet's PCA colour noise with that standard
	// deviation (fb.resnet.torch: 0.1).
	Lighting float64
}

// ReferenceImageAugment is the augmentation of the ResNeXt reference
// training (fb.resnet.torch) on top of the random-resized crop: flip,
// jitter 0.4 and lighting 0.1.
var ReferenceImageAugment = ImageAugment{Flip: true, Jitter: 0.4, Lighting: 0.1}

// cropRect is a region of the source image: origin (x, y), size w×h, in
// pixels.
type cropRect struct{ x, y, w, h float64 }

// randomResizedCrop draws torchvision's RandomResizedCrop region (scale
// 0.08–1 of the area, aspect ratio 3/4–4/3, ten attempts, then the
// largest centred crop within the ratio range).
func randomResizedCrop(src *rand.PCG, w, h int) cropRect {
	area := float64(w * h)
	lo, hi := math.Log(3.0/4), math.Log(4.0/3)
	for range 10 {
		target := area * (0.08 + 0.92*unit(src))
		ratio := math.Exp(lo + (hi-lo)*unit(src))
		cw := math.Round(math.Sqrt(target * ratio))
		ch := math.Round(math.Sqrt(target / ratio))
		if cw > 0 && ch > 0 && cw <= float64(w) && ch <= float64(h) {
			y := float64(uniform(src, h-int(ch)+1))
			x := float64(uniform(src, w-int(cw)+1))
			return cropRect{x, y, cw, ch}
		}
	}
	in := float64(w) / float64(h)
	cw, ch := float64(w), float64(h)
	switch {
	case in < 3.0/4:
		ch = math.Round(cw / (3.0 / 4))
	case in > 4.0/3:
		cw = math.Round(ch * (4.0 / 3))
	}
	return cropRect{math.Floor((float64(w) - cw) / 2), math.Floor((float64(h) - ch) / 2), cw, ch}
}

// EvalResize is the shorter side to which the evaluation transform resizes
// an image before cropping its centre size×size: size·256/224, rounded (256
// for 224, as torchvision's Resize(256), CenterCrop(224)).
func EvalResize(size int) int { return (size*256 + 112) / 224 }

// centreCropRect is the evaluation region: the image resized so its shorter
// side is resize, then the centred size×size square (as Resize(256),
// CenterCrop(224)), expressed in source pixels.
func centreCropRect(w, h, resize, size int) cropRect {
	side := float64(size) * float64(min(w, h)) / float64(resize)
	return cropRect{(float64(w) - side) / 2, (float64(h) - side) / 2, side, side}
}

// unit is a uniform float64 in [0, 1) from the top 53 bits of a draw.
func unit(src *rand.PCG) float64 { return float64(src.Uint64()>>11) / (1 << 53) }

// normal is a standard normal draw (Box–Muller, written out so the
// sequence depends on PCG alone).
func normal(src *rand.PCG) float64 {
	u := 1 - unit(src)
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*unit(src))
}

// toRGB returns img's pixels as interleaved RGB bytes (row-major).
func toRGB(img image.Image, buf []byte) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	buf = grow(buf, 3*w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o := 3 * (y*w + x)
				buf[o], buf[o+1], buf[o+2] = r, g, bl
			}
		}
	case *image.Gray:
		for y := range h {
			for x := range w {
				v := m.Pix[m.PixOffset(b.Min.X+x, b.Min.Y+y)]
				o := 3 * (y*w + x)
				buf[o], buf[o+1], buf[o+2] = v, v, v
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				o := 3 * (y*w + x)
				buf[o], buf[o+1], buf[o+2] = byte(r>>8), byte(g>>8), byte(bl>>8)
			}
		}
	}
	return buf
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// filterTaps are the weights of one output coordinate: source index first
// and its weights (a triangle filter stretched by the scale when shrinking,
// as PIL's bilinear resize, so downscaling does not alias).
type filterTaps struct {
	first   int
	weights []float32
}

// resampleTaps computes the taps of out outputs covering the source span
// [start, start+length) of an axis of n pixels.
func resampleTaps(n int, start, length float64, out int) []filterTaps {
	scale := length / float64(out)
	support := math.Max(scale, 1)
	taps := make([]filterTaps, out)
	for i := range out {
		centre := start + (float64(i)+0.5)*scale
		lo := max(int(math.Floor(centre-support)), 0)
		hi := min(int(math.Ceil(centre+support)), n)
		var ws []float32
		var sum float64
		for j := lo; j < hi; j++ {
			wt := 1 - math.Abs((float64(j)+0.5-centre)/support)
			if wt < 0 {
				wt = 0
			}
			ws = append(ws, float32(wt))
			sum += wt
		}
		if sum == 0 {
			j := min(max(int(centre), 0), n-1)
			lo, ws, sum = j, []float32{1}, 1
		}
		for k := range ws {
			ws[k] /= float32(sum)
		}
		taps[i] = filterTaps{lo, ws}
	}
	return taps
}

// imageScratch holds one worker's buffers, reused across images.
type imageScratch struct {
	rgb []byte
	row []float32 // the horizontally resampled rows, h × size × 3
}

// resizeCrop resamples region r of the RGB image (w×h) to size×size and
// writes it as CHW floats in [0, 1] into dst (3·size·size).
func resizeCrop(dst []float32, rgb []byte, w, h int, r cropRect, size int, s *imageScratch) {
	xt := resampleTaps(w, r.x, r.w, size)
	yt := resampleTaps(h, r.y, r.h, size)
	y0 := yt[0].first
	y1 := yt[size-1].first + len(yt[size-1].weights)
	s.row = grow(s.row, (y1-y0)*size*3)
	for y := y0; y < y1; y++ {
		line := rgb[3*y*w : 3*(y+1)*w]
		out := s.row[(y-y0)*size*3 : (y-y0+1)*size*3]
		for i, t := range xt {
			var cr, cg, cb float32
			for k, wt := range t.weights {
				p := 3 * (t.first + k)
				cr += wt * float32(line[p])
				cg += wt * float32(line[p+1])
				cb += wt * float32(line[p+2])
			}
			out[3*i], out[3*i+1], out[3*i+2] = cr, cg, cb
		}
	}
	plane := size * size
	for j, t := range yt {
		for i := range size {
			var cr, cg, cb float32
			for k, wt := range t.weights {
				p := ((t.first+k-y0)*size + i) * 3
				cr += wt * s.row[p]
				cg += wt * s.row[p+1]
				cb += wt * s.row[p+2]
			}
			o := j*size + i
			dst[o], dst[plane+o], dst[2*plane+o] = cr/255, cg/255, cb/255
		}
	}
}

// jitter applies brightness, contrast and saturation changes in a random
// order to a CHW image in [0, 1] (fb.resnet.torch's ColorJitter).
func jitter(img []float32, plane int, amount float64, src *rand.PCG) {
	order := []int{0, 1, 2}
	for i := 2; i > 0; i-- {
		j := uniform(src, i+1)
		order[i], order[j] = order[j], order[i]
	}
	r, g, b := img[:plane], img[plane:2*plane], img[2*plane:3*plane]
	for _, op := range order {
		alpha := float32(1 + amount*(2*unit(src)-1))
		switch op {
		case 0: // brightness: blend with black
			for i := range img[:3*plane] {
				img[i] *= alpha
			}
		case 1: // contrast: blend with the mean grey level
			var mean float64
			for i := range plane {
				mean += float64(0.299*r[i] + 0.587*g[i] + 0.114*b[i])
			}
			m := float32(mean/float64(plane)) * (1 - alpha)
			for i := range img[:3*plane] {
				img[i] = img[i]*alpha + m
			}
		case 2: // saturation: blend with each pixel's grey level
			for i := range plane {
				grey := (0.299*r[i] + 0.587*g[i] + 0.114*b[i]) * (1 - alpha)
				r[i], g[i], b[i] = r[i]*alpha+grey, g[i]*alpha+grey, b[i]*alpha+grey
			}
		}
	}
}

// lighting adds AlexNet's PCA noise with standard deviation std.
func lighting(img []float32, plane int, std float64, src *rand.PCG) {
	var a [3]float64
	for k := range a {
		a[k] = std * normal(src) * lightingEigval[k]
	}
	for c := range 3 {
		shift := float32(lightingEigvec[c][0]*a[0] + lightingEigvec[c][1]*a[1] + lightingEigvec[c][2]*a[2])
		for i := range img[c*plane : (c+1)*plane] {
			img[c*plane+i] += shift
		}
	}
}

// normalise clamps to [0, 1] and applies ImageNet's mean and std.
func normalise(img []float32, plane int) {
	for c := range 3 {
		m, s := ImageNetMean[c], ImageNetStd[c]
		ch := img[c*plane : (c+1)*plane]
		for i, v := range ch {
			ch[i] = (min(max(v, 0), 1) - m) / s
		}
	}
}

// checkSize rejects output sizes the transforms cannot make.
func checkSize(size, resize int) error {
	if size < 1 || resize < size {
		return fmt.Errorf("image size %d, resize %d: want 1 ≤ size ≤ resize", size, resize)
	}
	return nil
}
