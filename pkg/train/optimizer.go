package train

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/models"
)

// Optimizer kinds.
const (
	OptSGD   = "sgd"
	OptAdam  = "adam"
	OptAdamW = "adamw"
)

// Optimizer configures the parameter update.
//
// sgd is PyTorch's SGD: weight decay is coupled (λ·θ is added to the
// gradient before momentum, so it is also scaled by the learning rate and
// accumulated in the velocity), v ← μ·v + g, θ ← θ − lr·v (or
// θ ← θ − lr·(g + μ·v) with Nesterov). adam adds λ·θ to the gradient the
// same way (PyTorch's Adam); adamw decays θ ← θ·(1 − lr·λ) apart from the
// gradient (PyTorch's AdamW).
//
// A parameter with models.Param.LRScale s ≠ 1 (NTK parameterisation) steps
// as gradient descent on ω = θ/√s would: SGD uses lr·s and weight decay λ/s
// (exact); Adam uses lr·√s and λ/s, AdamW lr·√s and λ/√s (exact up to eps).
type Optimizer struct {
	Kind        string  `yaml:"kind" json:"kind"`
	LR          float64 `yaml:"lr" json:"lr"`
	Momentum    float64 `yaml:"momentum" json:"momentum"`
	Nesterov    bool    `yaml:"nesterov" json:"nesterov"`
	WeightDecay float64 `yaml:"weight_decay" json:"weight_decay"`
	Beta1       float64 `yaml:"beta1" json:"beta1"`
	Beta2       float64 `yaml:"beta2" json:"beta2"`
	Eps         float64 `yaml:"eps" json:"eps"`
}

// Validate reports the first bad setting.
func (o Optimizer) Validate() error {
	switch {
	case o.Kind != OptSGD && o.Kind != OptAdam && o.Kind != OptAdamW:
		return fmt.Errorf("optimizer %q: want %s, %s or %s", o.Kind, OptSGD, OptAdam, OptAdamW)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("optimizer: lr %v must be a positive number", o.LR)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Errorf("optimizer: weight_decay %v must be a finite number ≥ 0", o.WeightDecay)
	case o.Kind == OptSGD && !(o.Momentum >= 0 && o.Momentum < 1):
		return fmt.Errorf("optimizer sgd: momentum %v must be in [0, 1)", o.Momentum)
	case o.Kind == OptSGD && o.Nesterov && o.Momentum == 0:
		return fmt.Errorf("optimizer sgd: nesterov needs a momentum > 0")
	case o.Kind != OptSGD && o.Nesterov:
		return fmt.Errorf("optimizer %s: nesterov is for sgd (%s has beta1, beta2)", o.Kind, o.Kind)
	case o.Kind != OptSGD && !(o.Beta1 >= 0 && o.Beta1 < 1 && o.Beta2 >= 0 && o.Beta2 < 1 && o.Eps > 0 && !math.IsInf(o.Eps, 0)):
		return fmt.Errorf("optimizer %s: beta1 %v and beta2 %v must be in [0, 1), eps %v > 0", o.Kind, o.Beta1, o.Beta2, o.Eps)
	}
	return nil
}

// stateNames are the per-parameter state tensors, named as PyTorch's
// optimizers name them.
func (o Optimizer) stateNames() []string {
	if o.Kind == OptSGD {
		return []string{"momentum_buffer"}
	}
	return []string{"exp_avg", "exp_avg_sq"}
}

// slot is one parameter's buffers as the optimizer sees them.
type slot struct {
	param   models.Param
	value   device.Buffer
	grad    device.Buffer
	state   []device.Buffer
	lrScale float64
}

// optimizerState holds the optimizer's device buffers for every parameter.
type optimizerState struct {
	opt   Optimizer
	dev   device.Device
	slots []slot
}

// newOptimizerState allocates zeroed state buffers for every slot (whose
// value and grad are set by the caller).
func newOptimizerState(dev device.Device, opt Optimizer, slots []slot) (*optimizerState, error) {
	o := &optimizerState{opt: opt, dev: dev, slots: slots}
	for i := range o.slots {
		s := &o.slots[i]
		for range opt.stateNames() {
			b, err := dev.Alloc(s.value.Dtype(), s.value.Len())
			if err != nil {
				o.close()
				return nil, fmt.Errorf("optimizer state for %s: %w", s.param.Name, err)
			}
			s.state = append(s.state, b)
			if err := dev.Fill(b, 0); err != nil {
				o.close()
				return nil, fmt.Errorf("optimizer state for %s: %w", s.param.Name, err)
			}
		}
	}
	return o, nil
}

// step applies one update with learning rate lr; step is the 1-based
// update number (Adam's bias correction).
func (o *optimizerState) step(lr float64, step int) error {
	for _, s := range o.slots {
		var err error
		switch o.opt.Kind {
		case OptSGD:
			p := device.SGDParams{LR: lr * s.lrScale, Momentum: o.opt.Momentum, WeightDecay: o.opt.WeightDecay / s.lrScale, Nesterov: o.opt.Nesterov}
			err = o.dev.SGDUpdate(p, s.value, s.grad, s.state[0])
		default:
			r := math.Sqrt(s.lrScale)
			p := device.AdamParams{LR: lr * r, Beta1: o.opt.Beta1, Beta2: o.opt.Beta2, Eps: o.opt.Eps, Step: step, WeightDecay: o.opt.WeightDecay / s.lrScale}
			if o.opt.Kind == OptAdamW {
				p.Decoupled, p.WeightDecay = true, o.opt.WeightDecay/r
			}
			err = o.dev.AdamUpdate(p, s.value, s.grad, s.state[0], s.state[1])
		}
		if err != nil {
			return fmt.Errorf("%s update of %s: %w", o.opt.Kind, s.param.Name, err)
		}
	}
	return nil
}

// close frees the state buffers.
func (o *optimizerState) close() {
	for _, s := range o.slots {
		for _, b := range s.state {
			o.dev.Free(b)
		}
	}
}
