package device

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// hostBuffer is a Buffer of n float32 elements that holds no memory.
type hostBuffer int

func (b hostBuffer) Dtype() tensor.Dtype { return tensor.Float32 }
func (b hostBuffer) Len() int            { return int(b) }

// overlapsByEnumeration is the oracle for firstOverlap: it marks every
// element of every output matrix and reports whether one is marked twice.
func overlapsByEnumeration(rows, cols, ld, stride, batch int) bool {
	seen := map[int]bool{}
	for i := range batch {
		for r := range rows {
			for c := range cols {
				e := i*stride + r*ld + c
				if seen[e] {
					return true
				}
				seen[e] = true
			}
		}
	}
	return false
}

// TestGemmValidateOverlap: Validate refuses a batch whose output matrices
// share an element, exactly when enumerating their elements finds one
// shared, over every small shape, row stride and batch stride (interleaved
// outputs such as the block-diagonal layer's are accepted).
func TestGemmValidateOverlap(t *testing.T) {
	refused, accepted := 0, 0
	for rows := 1; rows <= 4; rows++ {
		for cols := 1; cols <= 4; cols++ {
			for ld := cols; ld <= cols+5; ld++ {
				for stride := 0; stride <= rows*ld+2; stride++ {
					for batch := 1; batch <= 4; batch++ {
						p := GemmParams{M: rows, N: cols, K: 1, A: hostBuffer(rows * batch), B: hostBuffer(cols),
							LDA: 1, LDB: cols, StrideA: rows, LDC: ld, StrideC: stride, Batch: batch}
						p.C = hostBuffer((batch-1)*stride + (rows-1)*ld + cols)
						err := p.Validate()
						want := overlapsByEnumeration(rows, cols, ld, stride, batch)
						switch {
						case want && err == nil:
							t.Errorf("%d×%d ld %d stride %d batch %d: overlapping outputs accepted", rows, cols, ld, stride, batch)
						case !want && err != nil:
							t.Errorf("%d×%d ld %d stride %d batch %d: disjoint outputs refused: %v", rows, cols, ld, stride, batch, err)
						case want && !strings.Contains(err.Error(), "overlap"):
							t.Errorf("%d×%d ld %d stride %d batch %d: error does not say the outputs overlap: %v", rows, cols, ld, stride, batch, err)
						}
						if want {
							refused++
						} else {
							accepted++
						}
					}
				}
			}
		}
	}
	if refused == 0 || accepted == 0 {
		t.Fatalf("%d overlapping and %d disjoint layouts: the enumeration covers only one kind", refused, accepted)
	}
}

// TestGemmValidateBlockDiagonal: the block-diagonal layer's forward product,
// members interleaved in the columns of every row, is valid; with a batch
// stride one column short of a member's width its outputs overlap.
func TestGemmValidateBlockDiagonal(t *testing.T) {
	const batch, members, width = 8, 4, 3
	p := GemmParams{M: batch, N: width, K: width, Alpha: 1,
		A: hostBuffer(batch * members * width), B: hostBuffer(members * width * width), C: hostBuffer(batch * members * width),
		LDA: members * width, LDB: width, LDC: members * width, StrideA: width, StrideB: width * width, StrideC: width, Batch: members}
	if err := p.Validate(); err != nil {
		t.Fatalf("block-diagonal forward refused: %v", err)
	}
	p.StrideC = width - 1
	if err := p.Validate(); err == nil {
		t.Fatal("members writing overlapping columns accepted")
	}
}
