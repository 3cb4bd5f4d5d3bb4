package train

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// nearTensors compares the final checkpoints of two runs tensor by tensor.
func nearTensors(t *testing.T, what, dirA, dirB string, tol float64) {
	t.Helper()
	load := func(dir string) map[string]hostTensor {
		ck, err := readCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, ck.Tensors))
		if err != nil {
			t.Fatal(err)
		}
		ts, _, err := parseSafetensors(b)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	a, b := load(dirA), load(dirB)
	if len(a) != len(b) {
		t.Fatalf("%s: %d tensors vs %d", what, len(a), len(b))
	}
	worst, where := 0.0, ""
	for name, x := range a {
		y, ok := b[name]
		if !ok {
			t.Fatalf("%s: tensor %s only in %s", what, name, dirA)
		}
		xs, ys := x.values(), y.values()
		var scale float64
		for _, v := range ys {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range xs {
			if d := math.Abs(xs[i]-ys[i]) / math.Max(scale, 1e-30); d > worst {
				worst, where = d, name
			}
		}
	}
	if worst > tol {
		t.Errorf("%s: tensor %s differs by %.2g of its largest value (tolerance %.2g)", what, where, worst, tol)
	}
	t.Logf("%s: largest tensor difference %.2g (%s)", what, worst, where)
}

func (h hostTensor) values() []float64 {
	if h.F64 != nil {
		return h.F64
	}
	v := make([]float64, len(h.F32))
	for i, x := range h.F32 {
		v[i] = float64(x)
	}
	return v
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}
