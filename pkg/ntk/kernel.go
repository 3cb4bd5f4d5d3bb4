package ntk

import "fmt"

// Output picks the scalar whose kernel is measured: the logit Logit; with
// Trace, the trace over logits Σ_k K_k (one gradient per logit); with Sum,
// the kernel of the summed logits Σ_k f_k (one gradient, all-ones weights).
type Output struct {
	Logit int  `json:"logit"`
	Trace bool `json:"trace"`
	Sum   bool `json:"sum,omitempty"`
}

// Gram returns the Gram matrix of the rows of g, row-major: K[i·B+j] = g_i·g_j.
func Gram(g [][]float64) []float64 {
	b := len(g)
	k := make([]float64, b*b)
	addGram(k, g)
	return k
}

// addGram adds the Gram matrix of g to k, computing each pair once.
func addGram(k []float64, g [][]float64) {
	b := len(g)
	for i := range b {
		for j := i; j < b; j++ {
			var s float64
			gi, gj := g[i], g[j][:len(g[i])]
			for p, v := range gi {
				s += v * gj[p]
			}
			k[i*b+j] += s
			if i != j {
				k[j*b+i] += s
			}
		}
	}
}

// Empirical returns the empirical NTK of t at its current parameters on the
// inputs: the B×B matrix K(x_i, x_j) of the chosen output, row-major. A
// graph that takes several examples at once (Tangent.Batch > 1) must be
// given exactly that many inputs, which it sees together.
func Empirical(t *Tangent, inputs [][]float64, out Output) ([]float64, error) {
	b := len(inputs)
	if b == 0 {
		return nil, fmt.Errorf("ntk: empirical kernel: no inputs")
	}
	if t.batch != 1 && b != t.batch {
		return nil, fmt.Errorf("ntk: empirical kernel: %d inputs to a graph of batch %d", b, t.batch)
	}
	for len(t.work) < b {
		t.work = append(t.work, make([]float64, t.size))
	}
	logits := []int{out.Logit}
	if out.Trace {
		logits = logits[:0]
		for k := range t.NumOutputs() {
			logits = append(logits, k)
		}
	}
	if out.Sum {
		logits = []int{-1}
	}
	var batch []float64
	if t.batch > 1 {
		for _, x := range inputs {
			batch = append(batch, x...)
		}
	}
	kern := make([]float64, b*b)
	for _, k := range logits {
		for i, x := range inputs {
			if err := t.gradientOf(x, batch, i, k, t.work[i]); err != nil {
				return nil, fmt.Errorf("ntk: empirical kernel, input %d: %w", i, err)
			}
		}
		addGram(kern, t.work[:b])
	}
	return kern, nil
}

// gradientOf writes the gradient of example i's logit k (all logits summed
// when k < 0), feeding x alone to a one-example graph or the whole batch
// to a batch graph.
func (t *Tangent) gradientOf(x, batch []float64, i, k int, dst []float64) error {
	kk := t.NumOutputs()
	w, in := t.weights, x
	if t.batch == 1 {
		i = 0
	} else {
		in = batch
	}
	clear(w)
	for j := range kk {
		if k < 0 || j == k {
			w[i*kk+j] = 1
		}
	}
	return t.gradient(in, w, dst)
}
