package datasets

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// CIFAR images are 3×32×32 bytes stored channel-major (CHW), after one label
// byte (CIFAR-10) or a coarse and a fine label byte (CIFAR-100).
const (
	cifarSide      = 32
	cifarImageSize = 3 * cifarSide * cifarSide
)

// ErrCIFAR is wrapped by every error about a malformed CIFAR binary file.
var ErrCIFAR = errors.New("malformed CIFAR binary file")

// CIFARBatch is the content of one CIFAR binary batch file.
type CIFARBatch struct {
	Images []byte // N × 3 × 32 × 32, CHW per image
	Labels []int  // class of each image: CIFAR-10 label, CIFAR-100 fine label
	Coarse []int  // CIFAR-100 only: coarse (superclass) label of each image
}

// cifarLayout is the record layout of a CIFAR binary file: the label
// bytes (CIFAR-100: coarse, then fine), the image bytes, and the number of
// fine and coarse (0: none) classes.
type cifarLayout struct {
	labelBytes, imageBytes int
	classes, coarse        int
}

var (
	cifar10Layout  = cifarLayout{labelBytes: 1, imageBytes: cifarImageSize, classes: 10}
	cifar100Layout = cifarLayout{labelBytes: 2, imageBytes: cifarImageSize, classes: 100, coarse: 20}
)

func layoutOf(hundred bool) cifarLayout {
	if hundred {
		return cifar100Layout
	}
	return cifar10Layout
}

// ParseCIFAR10 parses a CIFAR-10 binary batch (data_batch_N.bin, test_batch.bin).
func ParseCIFAR10(b []byte) (CIFARBatch, error) {
	return parseCIFAR(b, cifar10Layout)
}

// ParseCIFAR100 parses a CIFAR-100 binary file (train.bin, test.bin).
func ParseCIFAR100(b []byte) (CIFARBatch, error) {
	return parseCIFAR(b, cifar100Layout)
}

func parseCIFAR(b []byte, l cifarLayout) (CIFARBatch, error) {
	rec := l.labelBytes + l.imageBytes
	if len(b) == 0 {
		return CIFARBatch{}, fmt.Errorf("%w: empty", ErrCIFAR)
	}
	if len(b)%rec != 0 {
		return CIFARBatch{}, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte records (truncated after record %d?)",
			ErrCIFAR, len(b), rec, len(b)/rec)
	}
	n := len(b) / rec
	out := CIFARBatch{Images: make([]byte, n*l.imageBytes), Labels: make([]int, n)}
	if l.coarse > 0 {
		out.Coarse = make([]int, n)
	}
	for i := range n {
		r := b[i*rec : (i+1)*rec]
		label := int(r[l.labelBytes-1])
		if label >= l.classes {
			return CIFARBatch{}, fmt.Errorf("%w: record %d: label %d out of range [0, %d)", ErrCIFAR, i, label, l.classes)
		}
		if l.coarse > 0 {
			if int(r[0]) >= l.coarse {
				return CIFARBatch{}, fmt.Errorf("%w: record %d: coarse label %d out of range [0, %d)", ErrCIFAR, i, r[0], l.coarse)
			}
			out.Coarse[i] = int(r[0])
		}
		out.Labels[i] = label
		copy(out.Images[i*l.imageBytes:], r[l.labelBytes:])
	}
	return out, nil
}

// readCIFARFile reads one CIFAR binary file of the given flavour and returns
// its content and hex MD5.
func readCIFARFile(path string, hundred bool) (CIFARBatch, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return CIFARBatch{}, "", fmt.Errorf("read %s: %w", path, err)
	}
	batch, err := parseCIFAR(b, layoutOf(hundred))
	if err != nil {
		return CIFARBatch{}, "", fmt.Errorf("read %s: %w", path, err)
	}
	sum := md5.Sum(b)
	return batch, hex.EncodeToString(sum[:]), nil
}
