package datasets

// Augment selects the random augmentations a Loader applies to each image.
// The zero value applies none. The reference CIFAR setting is
// Augment{Pad: 4, Flip: true}.
type Augment struct {
	// Pad > 0 takes a random crop of the original size from the image
	// zero-padded by Pad pixels on each side. "Zero" is a black pixel before
	// normalisation, as in torchvision's pad-then-normalise pipeline, so the
	// padded value of channel c is -Mean[c]/Std[c].
	Pad int
	// Flip mirrors each image left-right with probability 1/2.
	Flip bool
}

// crop writes into dst the h×w window at (dy, dx) of src (c×h×w) padded by
// pad on each side, dy and dx in [0, 2·pad]; fill[ch] is the padding value
// of channel ch. With pad 0 (dy = dx = 0) it copies src.
func crop(dst, src []float32, c, h, w, pad, dy, dx int, fill []float32) {
	ox, oy := dx-pad, dy-pad // source offset of the window
	x0, x1 := max(0, -ox), min(w, w-ox)
	for ch := range c {
		plane := ch * h * w
		for y := range h {
			row := dst[plane+y*w : plane+(y+1)*w]
			sy := y + oy
			if sy < 0 || sy >= h || x0 >= x1 {
				fillRow(row, fill[ch])
				continue
			}
			fillRow(row[:x0], fill[ch])
			copy(row[x0:x1], src[plane+sy*w+x0+ox:plane+sy*w+x1+ox])
			fillRow(row[x1:], fill[ch])
		}
	}
}

func fillRow(row []float32, v float32) {
	for i := range row {
		row[i] = v
	}
}

// flipHorizontal mirrors every row of img (c×h×w) in place.
func flipHorizontal(img []float32, c, h, w int) {
	for r := range c * h {
		row := img[r*w : (r+1)*w]
		for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
			row[i], row[j] = row[j], row[i]
		}
	}
}
