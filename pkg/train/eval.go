package train

import (
	"context"
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// evaluate runs the eval model over the whole test set, streamed in batches
// from the data (the last batch padded with zeros, its padding ignored),
// and computes the mean loss and the top-1 (and, with more than 10
// classes, top-5) accuracy from the logits.
func (r *run) evaluate() (Metrics, error) {
	src, err := r.opts.Data.EvalBatches(context.Background(), r.cfg)
	if err != nil {
		return Metrics{}, fmt.Errorf("test data: %w", err)
	}
	defer src.Close()
	eb, k, is := r.eval.Batch, r.cfg.Model.Classes, r.cfg.Model.Input.Size()
	x := make([]float32, eb*is)
	labels := make([]float32, eb)
	logits := make([]float64, eb*k)
	var loss float64
	var total, top1, top5 int
	for range src.BatchesPerEpoch() {
		b, err := src.Next(context.Background())
		if err != nil {
			return Metrics{}, fmt.Errorf("test data: %w", err)
		}
		n := b.Size
		copy(x, b.Images[:n*is])
		clear(x[n*is:])
		copy(labels, b.Targets[:n])
		clear(labels[n:])
		if err := r.evalBatch(x, labels, logits); err != nil {
			return Metrics{}, err
		}
		for i := range n {
			l, rank := rowLossRank(logits[i*k:(i+1)*k], b.Labels[i])
			loss += l
			if rank == 0 {
				top1++
			}
			if rank < 5 {
				top5++
			}
		}
		total += n
		src.Release(b)
	}
	m := Metrics{TestLoss: loss / float64(total), TestAcc: float64(top1) / float64(total)}
	if k > 10 {
		t5 := float64(top5) / float64(total)
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
