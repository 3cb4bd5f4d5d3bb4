package train

import (
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
)

// runOptimizer applies steps updates with a fixed gradient to θ and
// returns θ afterwards.
func runOptimizer(t *testing.T, opt Optimizer, lrScale float64, theta, grad []float64, steps int) []float64 {
	t.Helper()
	dev := cpu.New(1)
	upload := func(v []float64) device.Buffer {
		b, err := dev.Alloc(tensor.Float64, len(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := dev.Upload(b, v); err != nil {
			t.Fatal(err)
		}
		return b
	}
	s := slot{param: models.Param{Name: "w"}, value: upload(theta), grad: upload(grad), lrScale: lrScale}
	o, err := newOptimizerState(dev, opt, []slot{s})
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	for i := 1; i <= steps; i++ {
		if err := o.step(opt.LR, i); err != nil {
			t.Fatal(err)
		}
	}
	out := make([]float64, len(theta))
	if err := dev.Download(out, s.value); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOptimizerUpdates checks two steps of each optimizer against values
// worked out by hand from PyTorch's update rules.
func TestOptimizerUpdates(t *testing.T) {
	theta, grad := []float64{1, -2}, []float64{0.5, 0.25}
	// SGD, lr 0.1, μ 0.9, λ 0.01. Step 1: g = 0.5+0.01 = 0.51, v = 0.51,
	// θ = 0.949. Step 2: g = 0.5+0.00949 = 0.50949, v = 0.9·0.51+0.50949 =
	// 0.96849, θ = 0.949 − 0.096849 = 0.852151.
	sgd := Optimizer{Kind: OptSGD, LR: 0.1, Momentum: 0.9, WeightDecay: 0.01}
	// Nesterov step 1: g = 0.51, v = 0.51, θ = 1 − 0.1·(0.51+0.459) = 0.9031.
	nesterov := sgd
	nesterov.Nesterov = true
	// Adam step 1 moves every θ by −lr·sign(g) (bias-corrected m/√v = ±1).
	adam := Optimizer{Kind: OptAdam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-12}
	// AdamW step 1: θ·(1 − lr·λ) − lr = 1·(1−0.001) − 0.01 = 0.989.
	adamw := adam
	adamw.Kind, adamw.WeightDecay = OptAdamW, 0.1
	for _, c := range []struct {
		name    string
		opt     Optimizer
		lrScale float64
		steps   int
		want    float64
	}{
		{"sgd 2 steps", sgd, 1, 2, 0.852151},
		{"nesterov 1 step", nesterov, 1, 1, 0.9031},
		{"adam 1 step", adam, 1, 1, 0.99},
		{"adamw 1 step", adamw, 1, 1, 0.989},
		// NTK scale s = 0.25 on SGD: lr 0.025, λ 0.04: g = 0.54, θ = 1 − 0.0135.
		{"sgd with lr scale", Optimizer{Kind: OptSGD, LR: 0.1, WeightDecay: 0.01}, 0.25, 1, 0.9865},
	} {
		got := runOptimizer(t, c.opt, c.lrScale, theta, grad, c.steps)
		if math.Abs(got[0]-c.want) > 1e-9 {
			t.Errorf("%s: θ₀ = %.10f, want %.10f", c.name, got[0], c.want)
		}
	}
}
