package train

import (
	"fmt"
	"math"
)

// Schedule kinds.
const (
	ScheduleConstant  = "constant"
	ScheduleMultiStep = "multistep"
	ScheduleCosine    = "cosine"
)

// Schedule sets the learning rate of each step from the base rate.
//
// constant keeps it; multistep multiplies it by Gamma at each epoch in
// Milestones (the reference CIFAR setting is 150 and 225 with 0.1); cosine
// anneals it per step from the base rate to MinLR over the run. With
// WarmupEpochs > 0 the first WarmupEpochs·stepsPerEpoch steps ramp linearly
// up to the rate the schedule would give, and cosine then anneals over the
// remaining steps.
type Schedule struct {
	Kind         string  `yaml:"kind" json:"kind"`
	Milestones   []int   `yaml:"milestones,omitempty" json:"milestones,omitempty"`
	Gamma        float64 `yaml:"gamma,omitempty" json:"gamma,omitempty"`
	WarmupEpochs float64 `yaml:"warmup_epochs,omitempty" json:"warmup_epochs,omitempty"`
	MinLR        float64 `yaml:"min_lr,omitempty" json:"min_lr,omitempty"`
}

// Validate reports the first bad setting.
func (s Schedule) Validate() error {
	switch s.Kind {
	case ScheduleConstant, ScheduleCosine:
	case ScheduleMultiStep:
		if !(s.Gamma > 0) || math.IsInf(s.Gamma, 0) {
			return fmt.Errorf("schedule multistep: gamma %v must be a finite number > 0", s.Gamma)
		}
		for i, m := range s.Milestones {
			if m < 1 || (i > 0 && m <= s.Milestones[i-1]) {
				return fmt.Errorf("schedule multistep: milestones %v must be increasing epochs ≥ 1", s.Milestones)
			}
		}
	default:
		return fmt.Errorf("schedule kind %q: want %s, %s or %s", s.Kind, ScheduleConstant, ScheduleMultiStep, ScheduleCosine)
	}
	if !(s.WarmupEpochs >= 0) || !(s.MinLR >= 0) || math.IsInf(s.WarmupEpochs, 0) || math.IsInf(s.MinLR, 0) {
		return fmt.Errorf("schedule: warmup_epochs %v and min_lr %v must be finite numbers ≥ 0", s.WarmupEpochs, s.MinLR)
	}
	return nil
}

// LR is the learning rate of step (from 0) of a run of epochs epochs of
// stepsPerEpoch steps, for base rate base.
func (s Schedule) LR(base float64, step, stepsPerEpoch, epochs int) float64 {
	total := stepsPerEpoch * epochs
	warmup := int(math.Round(s.WarmupEpochs * float64(stepsPerEpoch)))
	var lr float64
	switch s.Kind {
	case ScheduleMultiStep:
		lr = base
		epoch := step / max(stepsPerEpoch, 1)
		for _, m := range s.Milestones {
			if epoch >= m {
				lr *= s.Gamma
			}
		}
	case ScheduleCosine:
		t := 0.0
		if span := total - warmup; span > 0 && step > warmup {
			t = math.Min(float64(step-warmup)/float64(span), 1)
		}
		lr = s.MinLR + (base-s.MinLR)*(1+math.Cos(math.Pi*t))/2
	default:
		lr = base
	}
	if step < warmup {
		lr *= float64(step+1) / float64(warmup)
	}
	return lr
}
