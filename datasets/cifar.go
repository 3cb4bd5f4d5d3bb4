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

// ParseCIFAR10 parses a CIFAR-10 binary batch (data_batch_N.bin, test_batch.bin).
func ParseCIFAR10(b []byte) (CIFARBatch, error) {
	return parseCIFAR(b, false)
}

// ParseCIFAR100 parses a CIFAR-100 binary file (train.bin, test.bin).
func ParseCIFAR100(b []byte) (CIFARBatch, error) {
	return parseCIFAR(b, true)
}

func parseCIFAR(b []byte, hundred bool) (CIFARBatch, error) {
	labelBytes, classes := 1, 10
	if hundred {
		labelBytes, classes = 2, 100
	}
	rec := labelBytes + cifarImageSize
	if len(b) == 0 {
		return CIFARBatch{}, fmt.Errorf("%w: empty", ErrCIFAR)
	}
	if len(b)%rec != 0 {
		return CIFARBatch{}, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte records (truncated after record %d?)",
			ErrCIFAR, len(b), rec, len(b)/rec)
	}
	n := len(b) / rec
	out := CIFARBatch{Images: make([]byte, n*cifarImageSize), Labels: make([]int, n)}
	if hundred {
		out.Coarse = make([]int, n)
	}
	for i := range n {
		r := b[i*rec : (i+1)*rec]
		label := int(r[labelBytes-1])
		if label >= classes {
			return CIFARBatch{}, fmt.Errorf("%w: record %d: label %d out of range [0, %d)", ErrCIFAR, i, label, classes)
		}
		if hundred {
			if r[0] >= 20 {
				return CIFARBatch{}, fmt.Errorf("%w: record %d: coarse label %d out of range [0, 20)", ErrCIFAR, i, r[0])
			}
			out.Coarse[i] = int(r[0])
		}
		out.Labels[i] = label
		copy(out.Images[i*cifarImageSize:], r[labelBytes:])
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
	batch, err := parseCIFAR(b, hundred)
	if err != nil {
		return CIFARBatch{}, "", fmt.Errorf("read %s: %w", path, err)
	}
	sum := md5.Sum(b)
	return batch, hex.EncodeToString(sum[:]), nil
}
