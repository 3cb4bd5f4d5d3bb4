package train

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// evaluate runs the eval model over the whole test set (the last batch
// padded with zeros, its padding ignored) and computes the mean loss and the
// top-1 (and, with more than 10 classes, top-5) accuracy from the logits.
func (r *run) evaluate() (Metrics, error) {
	ds, eb, k := r.opts.Data.Test, r.eval.Batch, r.cfg.Model.Classes
	is := ds.ImageSize()
	x := make([]float32, eb*is)
	labels := make([]float32, eb)
	logits := make([]float64, eb*k)
	var loss float64
	var top1, top5 int
	for start := 0; start < ds.Len(); start += eb {
		n := min(eb, ds.Len()-start)
		copy(x, ds.Images[start*is:(start+n)*is])
		clear(x[n*is:])
		clear(labels)
		for i := range n {
			labels[i] = float32(ds.Labels[start+i])
		}
		if err := r.evalBatch(x, labels, logits); err != nil {
			return Metrics{}, err
		}
		for i := range n {
			l, rank := rowLossRank(logits[i*k:(i+1)*k], ds.Labels[start+i])
			loss += l
			if rank == 0 {
				top1++
			}
			if rank < 5 {
				top5++
			}
		}
	}
	total := float64(ds.Len())
	m := Metrics{TestLoss: loss / total, TestAcc: float64(top1) / total}
	if k > 10 {
		t5 := float64(top5) / total
		m.TestTop5 = &t5
	}
	return m, nil
}

// evalBatch runs the eval plan on one batch and reads the logits.
func (r *run) evalBatch(x, labels []float32, logits []float64) error {
	if err := r.ep.Set(r.eval.Input, hostAs(r.eval.Dtype, x)); err != nil {
		return err
	}
	if err := r.ep.Set(r.eval.Labels, hostAs(r.eval.Dtype, labels)); err != nil {
		return err
	}
	if err := r.ep.Run(); err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	if r.eval.Dtype == tensor.Float64 {
		return r.ep.Get(r.eval.Logits, logits)
	}
	l32 := make([]float32, len(logits))
	if err := r.ep.Get(r.eval.Logits, l32); err != nil {
		return err
	}
	for i, v := range l32 {
		logits[i] = float64(v)
	}
	return nil
}

// rowLossRank is −log softmax(z)[y] and the rank of class y (0 when it is
// the prediction; ties go to the lower class index).
func rowLossRank(z []float64, y int) (float64, int) {
	top := math.Inf(-1)
	for _, v := range z {
		top = math.Max(top, v)
	}
	var sum float64
	rank := 0
	for j, v := range z {
		sum += math.Exp(v - top)
		if v > z[y] || (v == z[y] && j < y) {
			rank++
		}
	}
	return math.Log(sum) + top - z[y], rank
}
